SELECT
  s.site,
  CAST(h.hour AS DATE) AS day,
  MIN(h.celsius) AS low,
  MAX(h.celsius) AS high
FROM {{ ref("hourly_temperatures") }} AS h
JOIN {{ ref("sensors") }} AS s
  ON s.sensor_id = h.sensor_id
GROUP BY
  s.site,
  CAST(h.hour AS DATE)
