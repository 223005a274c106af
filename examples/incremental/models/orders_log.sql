-- append: every version of every order, in the order they arrived.
select order_id, customer, amount, updated_at
from {{ ref('orders') }}
{% if is_incremental() %}
where updated_at > (select max(updated_at) from {{ this }})
{% endif %}
