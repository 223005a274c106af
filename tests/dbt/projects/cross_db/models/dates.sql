select
  id,
  {{ dbt.dateadd('day', 1, 'd') }} as next_day,
  {{ dbt.datediff('d', 'e', 'day') }} as days_between,
  {{ dbt.date_trunc('month', 'd') }} as month_start,
  {{ dbt.last_day('d', 'month') }} as month_end,
  {{ dbt.cast('id', dbt.type_string()) }} as id_text
from {{ ref('events') }}
