select v1.customer, v2.orders
from {{ ref('dim', v=1) }} as v1
join {{ ref('dim') }} as v2 on v1.customer = v2.customer
