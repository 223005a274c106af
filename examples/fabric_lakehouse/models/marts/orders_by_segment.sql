-- Joined on the hashed e-mail: masking with 'hash' keeps keys joinable.
select
    c.segment,
    count(*) as orders,
    round(avg(o.amount), 2) as avg_amount
from {{ ref("stg_orders") }} o
join {{ ref("stg_customers") }} c on c.customer_key = o.customer_key
group by c.segment
