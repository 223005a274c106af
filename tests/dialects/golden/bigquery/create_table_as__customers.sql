-- create_table_as model.customers: bigquery, from the template project (duckdb models)
CREATE TABLE `faborite__main`.`customers__0123456789ab` AS
SELECT c.id, c.name, c.country, COUNT(o.id) AS order_count, COALESCE(SUM(o.amount), 0) AS lifetime_value FROM `faborite__main`.`stg_customers__0123456789ab` AS c LEFT JOIN `faborite__main`.`stg_orders__0123456789ab` AS o ON o.customer_id = c.id AND o.status <> 'returned' GROUP BY c.id, c.name, c.country;
