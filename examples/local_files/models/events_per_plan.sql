select u.plan, e.kind, count(*) as events
from {{ source("raw", "events") }} e
join {{ source("raw", "users") }} u using (user_id)
group by all
