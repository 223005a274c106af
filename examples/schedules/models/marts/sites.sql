{{ config(schedule=none) }}
SELECT
  site,
  COUNT(*) AS sensors
FROM {{ ref("sensors") }}
GROUP BY
  site
