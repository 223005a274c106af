-- merge: the latest version of each order, replaced when the order changes.
{{ config(unique_key='order_id', incremental_strategy='merge') }}
select order_id, customer, amount, updated_at
from {{ ref('orders') }}
{% if is_incremental() %}
where updated_at > (select max(updated_at) from {{ this }})
{% endif %}
qualify row_number() over (partition by order_id order by updated_at desc) = 1
