-- create_view model.stg_customers: bigquery, from the template project (duckdb models)
CREATE VIEW `faborite__main`.`stg_customers__0123456789ab` AS
SELECT id, name, country, CAST(signed_up_at AS DATE) AS signed_up_at FROM `faborite__main`.`raw_customers__0123456789ab`;
