SELECT
  sensor_id,
  CAST(read_at AS TIMESTAMP) AS read_at,
  celsius
FROM {{ ref("raw_readings") }}
