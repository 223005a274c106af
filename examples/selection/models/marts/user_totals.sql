{{ config(tags=["weekly"]) }}
SELECT
  user_id,
  COUNT(*) AS events,
  MAX(happened_at) AS last_seen
FROM {{ ref("stg_events") }}
GROUP BY
  user_id
