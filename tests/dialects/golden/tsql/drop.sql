-- drop_table, drop_view: tsql, from the template project (duckdb models)
DROP TABLE IF EXISTS [faborite__main].[customers__0123456789ab];

DROP VIEW IF EXISTS [main].[stg_customers];
