select
    id,
    customer_id,
    cast(ordered_at as date) as ordered_at,
    status,
    {{ cents_to_dollars("amount_cents") }} as amount
from {{ ref("raw_orders") }}
where cast(ordered_at as date) >= date '{{ var("start_date") }}'
