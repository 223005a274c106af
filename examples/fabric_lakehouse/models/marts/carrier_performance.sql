-- Every shipment (sync shipments_live, kept current incrementally).
SELECT
  carrier,
  COUNT(*) AS shipments,
  COUNT(delivered_at) AS delivered,
  ROUND(AVG(DATE_DIFF('HOUR', shipped_at, delivered_at)) / 24.0, 1) AS avg_days_to_deliver
FROM {{ ref("shipments") }}
GROUP BY
  carrier
