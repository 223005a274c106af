select * from {{ ref('orders') }} where status = 'paid'
