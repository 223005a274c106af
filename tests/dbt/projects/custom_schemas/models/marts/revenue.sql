{{ config(schema='marts', alias='revenue_by_customer') }}
select customer, sum(amount) as revenue from {{ ref('orders') }} group by customer
