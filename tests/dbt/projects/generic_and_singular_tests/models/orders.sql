select * from {{ ref('orders_raw') }}
