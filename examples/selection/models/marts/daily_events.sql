{{ config(tags=["daily"]) }}
SELECT
  CAST(happened_at AS DATE) AS day,
  kind,
  COUNT(*) AS events
FROM {{ ref("stg_events") }}
GROUP BY
  1,
  2
