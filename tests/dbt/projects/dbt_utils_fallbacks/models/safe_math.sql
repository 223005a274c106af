select
  id,
  {{ dbt_utils.safe_add(['amount', 'null']) }} as added,
  {{ dbt_utils.safe_subtract(['amount', '1']) }} as subtracted,
  {{ dbt_utils.safe_divide('amount', 'id - 1') }} as divided
from {{ ref('orders') }}
where updated_at <= '2024-01-02'
