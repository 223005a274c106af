select
  {{ dbt.listagg('s', "','", 'order by s') }} as all_s,
  {{ dbt.bool_or('flag') }} as any_flag,
  count(*) as n
from {{ ref('events') }}
