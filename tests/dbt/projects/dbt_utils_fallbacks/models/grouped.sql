select customer, count(*) as n
from {{ ref('orders') }}
{{ dbt_utils.group_by(1) }}
