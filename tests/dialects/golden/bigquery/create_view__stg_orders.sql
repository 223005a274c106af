-- create_view model.stg_orders: bigquery, from the template project (duckdb models)
CREATE VIEW `faborite__main`.`stg_orders__0123456789ab` AS
SELECT id, customer_id, CAST(ordered_at AS DATE) AS ordered_at, status, ROUND(amount_cents / 100.0, 2) AS amount FROM `faborite__main`.`raw_orders__0123456789ab` WHERE CAST(ordered_at AS DATE) >= CAST('2024-01-01' AS DATE);
