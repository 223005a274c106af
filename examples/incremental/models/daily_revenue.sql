{{ config(incremental_strategy='microbatch', event_time='order_day', batch_size='day', lookback=1, begin='2024-05-01', protect=true) }}
-- microbatch: one batch per day; each run rebuilds the last recorded day and the one before.
SELECT
  CAST(CAST(updated_at AS DATE) AS TIMESTAMP) AS order_day,
  SUM(amount) AS revenue,
  COUNT(*) AS orders
FROM {{ ref('orders') }}
GROUP BY
  1
