-- create_table_as model.customer_segments: fabric, from the template project (duckdb models)
CREATE TABLE [faborite__main].[customer_segments__0123456789ab] AS
SELECT id, name, lifetime_value, RANK() OVER (ORDER BY lifetime_value DESC) AS value_rank, CASE WHEN lifetime_value >= 100 THEN 'gold' WHEN lifetime_value >= 30 THEN 'silver' ELSE 'bronze' END AS segment FROM [faborite__main].[customers__0123456789ab];
