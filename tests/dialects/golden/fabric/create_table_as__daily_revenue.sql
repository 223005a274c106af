-- create_table_as model.daily_revenue: fabric, from the template project (duckdb models)
CREATE TABLE [faborite__main].[daily_revenue__0123456789ab] AS
SELECT ordered_at AS day, COUNT_BIG(*) AS orders, SUM(amount) AS revenue FROM [faborite__main].[stg_orders__0123456789ab] WHERE status IN ('completed', 'shipped') GROUP BY ordered_at;
