select id, customer, amount, '{{ var('currency') }}' as currency from {{ ref('raw_orders') }}
