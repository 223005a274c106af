select p.status, s.label, sum(p.amount) as amount
from {{ ref('stg_payments') }} p join {{ ref('statuses') }} s on s.code = p.status
group by 1, 2
