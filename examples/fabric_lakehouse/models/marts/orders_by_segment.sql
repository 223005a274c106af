-- Joined on the hashed e-mail: masking with 'hash' keeps keys joinable.
SELECT
  c.segment,
  COUNT(*) AS orders,
  ROUND(AVG(o.amount), 2) AS avg_amount
FROM {{ ref("stg_orders") }} AS o
JOIN {{ ref("stg_customers") }} AS c
  ON c.customer_key = o.customer_key
GROUP BY
  c.segment
