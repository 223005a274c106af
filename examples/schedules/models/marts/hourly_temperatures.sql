{{ config(schedule="0 * * * *") }}
SELECT
  sensor_id,
  DATE_TRUNC('HOUR', read_at) AS hour,
  AVG(celsius) AS celsius
FROM {{ ref("stg_readings") }}
GROUP BY
  sensor_id,
  DATE_TRUNC('HOUR', read_at)
