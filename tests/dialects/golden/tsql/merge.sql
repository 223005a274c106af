-- merge model.customers on id: tsql, from the template project (duckdb models)
MERGE INTO [faborite__main].[customers__0123456789ab] AS [faborite_target]
USING (
SELECT c.id, c.name, c.country, COUNT_BIG(o.id) AS order_count, COALESCE(SUM(o.amount), 0) AS lifetime_value FROM [faborite__main].[stg_customers__0123456789ab] AS c LEFT JOIN [faborite__main].[stg_orders__0123456789ab] AS o ON o.customer_id = c.id AND o.status <> 'returned' GROUP BY c.id, c.name, c.country
) AS [faborite_source]
ON [faborite_target].[id] = [faborite_source].[id]
WHEN MATCHED THEN UPDATE SET [name] = [faborite_source].[name], [country] = [faborite_source].[country], [order_count] = [faborite_source].[order_count], [lifetime_value] = [faborite_source].[lifetime_value]
WHEN NOT MATCHED THEN INSERT ([id], [name], [country], [order_count], [lifetime_value]) VALUES ([faborite_source].[id], [faborite_source].[name], [faborite_source].[country], [faborite_source].[order_count], [faborite_source].[lifetime_value]);
