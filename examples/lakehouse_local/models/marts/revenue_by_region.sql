-- Orders and revenue per region and month, from the stratified sample
-- (returned orders left out). Figures are the sample's, not the lakehouse's.
SELECT
  region,
  order_month,
  COUNT(*) AS orders,
  SUM(amount) AS revenue
FROM {{ ref("stg_orders") }}
WHERE
  status <> 'returned'
GROUP BY
  region,
  order_month
