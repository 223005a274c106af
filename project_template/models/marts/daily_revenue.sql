select
    ordered_at as day,
    count(*) as orders,
    sum(amount) as revenue
from {{ ref("stg_orders") }}
where status in ('completed', 'shipped')
group by ordered_at
