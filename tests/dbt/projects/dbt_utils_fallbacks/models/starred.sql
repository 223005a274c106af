select {{ dbt_utils.star(from=ref('orders'), except=['status', 'updated_at']) }}
from {{ ref('orders') }}
