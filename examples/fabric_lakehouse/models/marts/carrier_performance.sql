-- Every shipment (sync shipments_live, kept current incrementally).
select
    carrier,
    count(*) as shipments,
    count(delivered_at) as delivered,
    round(avg(date_diff('hour', shipped_at, delivered_at)) / 24.0, 1) as avg_days_to_deliver
from {{ ref("shipments") }}
group by carrier
