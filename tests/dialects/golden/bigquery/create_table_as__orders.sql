-- create_table_as model.orders: bigquery, from the template project (duckdb models)
CREATE TABLE `faborite__main`.`orders__0123456789ab` AS
SELECT o.id, o.amount, c.name FROM `faborite__main`.`stg_orders__0123456789ab` AS o JOIN `faborite__main`.`stg_customers__0123456789ab` AS c ON c.id = o.customer_id;
