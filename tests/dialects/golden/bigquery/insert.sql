-- insert_into model.daily_revenue: bigquery, from the template project (duckdb models)
INSERT INTO `faborite__main`.`daily_revenue__0123456789ab` (`day`, `orders`, `revenue`)
SELECT ordered_at AS day, COUNT(*) AS orders, SUM(amount) AS revenue FROM `faborite__main`.`stg_orders__0123456789ab` WHERE status IN ('completed', 'shipped') GROUP BY ordered_at;
