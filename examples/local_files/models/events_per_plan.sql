SELECT
  u.plan,
  e.kind,
  COUNT(*) AS events
FROM {{ source("raw", "events") }} AS e
JOIN {{ source("raw", "users") }} AS u
  USING (user_id)
GROUP BY ALL
