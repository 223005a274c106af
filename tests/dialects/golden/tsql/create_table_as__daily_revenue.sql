-- create_table_as model.daily_revenue: tsql, from the template project (duckdb models)
SELECT * INTO [faborite__main].[daily_revenue__0123456789ab] FROM (SELECT ordered_at AS day, COUNT_BIG(*) AS orders, SUM(amount) AS revenue FROM [faborite__main].[stg_orders__0123456789ab] WHERE status IN ('completed', 'shipped') GROUP BY ordered_at) AS temp;
