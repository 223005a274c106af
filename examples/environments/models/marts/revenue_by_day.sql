SELECT
  ordered_at AS day,
  SUM(amount) AS revenue
FROM {{ ref("stg_orders") }}
WHERE
  status = 'completed'
GROUP BY
  ordered_at
