select {{ dbt_utils.generate_surrogate_key(['id', 'customer']) }} as sk, id, customer
from {{ ref('orders') }}
where updated_at <> '2024-01-04'
