-- Customers (sync customers_masked): e-mail hashed, name redacted, phone dropped.
select
    customer_id,
    email as customer_key,
    full_name,
    segment,
    created_at
from {{ ref("customers") }}
