SELECT
  customer,
  COUNT(*) AS orders
FROM {{ ref("stg_orders") }}
GROUP BY
  customer
