-- swap_view (publish) of every model: bigquery, from the template project (duckdb models)
-- pointer_reads: faborite__main.stg_customers__0123456789ab
CREATE OR REPLACE VIEW `main`.`stg_customers` AS
SELECT * FROM `faborite__main`.`stg_customers__0123456789ab`;

-- pointer_reads: faborite__main.stg_orders__0123456789ab
CREATE OR REPLACE VIEW `main`.`stg_orders` AS
SELECT * FROM `faborite__main`.`stg_orders__0123456789ab`;

-- pointer_reads: faborite__main.customers__0123456789ab
CREATE OR REPLACE VIEW `main`.`customers` AS
SELECT * FROM `faborite__main`.`customers__0123456789ab`;

-- pointer_reads: faborite__main.daily_revenue__0123456789ab
CREATE OR REPLACE VIEW `main`.`daily_revenue` AS
SELECT * FROM `faborite__main`.`daily_revenue__0123456789ab`;

-- pointer_reads: faborite__main.orders__0123456789ab
CREATE OR REPLACE VIEW `main`.`orders` AS
SELECT * FROM `faborite__main`.`orders__0123456789ab`;

-- pointer_reads: faborite__main.customer_segments__0123456789ab
CREATE OR REPLACE VIEW `main`.`customer_segments` AS
SELECT * FROM `faborite__main`.`customer_segments__0123456789ab`;
