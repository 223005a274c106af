select {{ dbt_utils.star(ref('surrogate'), except=['sk'], prefix='s_') }}
from {{ ref('surrogate') }}
