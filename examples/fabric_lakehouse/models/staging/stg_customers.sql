-- Customers (sync customers_masked): e-mail hashed, name redacted, phone dropped.
SELECT
  customer_id,
  email AS customer_key,
  full_name,
  segment,
  created_at
FROM {{ ref("customers") }}
