-- Orders and revenue per region and month, from the stratified sample
-- (returned orders left out). Figures are the sample's, not the lakehouse's.
select
    region,
    order_month,
    count(*) as orders,
    sum(amount) as revenue
from {{ ref("stg_orders") }}
where status <> 'returned'
group by region, order_month
