-- create_table_as model.orders: tsql, from the template project (duckdb models)
SELECT * INTO [faborite__main].[orders__0123456789ab] FROM (SELECT o.id AS id, o.amount AS amount, c.name AS name FROM [faborite__main].[stg_orders__0123456789ab] AS o JOIN [faborite__main].[stg_customers__0123456789ab] AS c ON c.id = o.customer_id) AS temp;
