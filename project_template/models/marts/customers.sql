select
    c.id,
    c.name,
    c.country,
    count(o.id) as order_count,
    coalesce(sum(o.amount), 0) as lifetime_value
from {{ ref("stg_customers") }} c
left join {{ ref("stg_orders") }} o on o.customer_id = c.id and o.status <> 'returned'
group by c.id, c.name, c.country
