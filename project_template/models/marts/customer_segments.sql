select
    id,
    name,
    lifetime_value,
    rank() over (order by lifetime_value desc) as value_rank,
    case
        when lifetime_value >= 100 then 'gold'
        when lifetime_value >= 30 then 'silver'
        else 'bronze'
    end as segment
from {{ ref("customers") }}
