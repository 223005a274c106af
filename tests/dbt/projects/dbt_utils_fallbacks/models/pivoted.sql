select customer, {{ dbt_utils.pivot('status', ['paid', 'open']) }}
from {{ ref('orders') }}
group by customer
