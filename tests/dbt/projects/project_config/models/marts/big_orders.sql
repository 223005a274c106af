select customer, sum(amount) as total
from {{ ref('stg_orders') }}
where amount >= {{ var('min_amount') }}
group by customer
