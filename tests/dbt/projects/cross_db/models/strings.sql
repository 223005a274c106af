select
  id,
  {{ dbt.split_part('s', "'|'", 1) }} as first_part,
  {{ dbt.concat(['s', "'-'", dbt.cast('id', dbt.type_string())]) }} as joined,
  {{ dbt.hash('s') }} as hashed,
  {{ dbt.position("'y'", 's') }} as y_at,
  {{ dbt.right('s', 2) }} as last_two,
  {{ dbt.replace('s', "'|'", "'/'") }} as slashed,
  {{ dbt.length('s') }} as len,
  {{ dbt.safe_cast("'42'", dbt.type_int()) }} as as_int,
  {{ dbt.cast_bool_to_text('flag') }} as flag_text,
  {{ dbt.string_literal('hello') }} as literal
from {{ ref('events') }}
