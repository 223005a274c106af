SELECT
  id,
  customer,
  amount_cents / 100.0 AS amount,
  status,
  CAST(ordered_at AS DATE) AS ordered_at
FROM {{ ref("raw_orders") }}
