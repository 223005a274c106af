SELECT
  id,
  user_id,
  kind,
  CAST(happened_at AS TIMESTAMP) AS happened_at
FROM {{ ref("raw_events") }}
