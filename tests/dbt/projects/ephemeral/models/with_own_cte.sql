with closed as (
    select * from {{ ref('eph_orders') }} where status = 'closed'
)
select o.id, o.amount, c.id is not null as is_closed
from {{ ref('eph_orders') }} as o
left join closed as c on c.id = o.id
