-- merge model.customers on id: snowflake, from the template project (duckdb models)
MERGE INTO "faborite__main"."customers__0123456789ab" AS "faborite_target"
USING (
SELECT c.id, c.name, c.country, COUNT(o.id) AS order_count, COALESCE(SUM(o.amount), 0) AS lifetime_value FROM "faborite__main"."stg_customers__0123456789ab" AS c LEFT JOIN "faborite__main"."stg_orders__0123456789ab" AS o ON o.customer_id = c.id AND o.status <> 'returned' GROUP BY c.id, c.name, c.country
) AS "faborite_source"
ON "faborite_target"."ID" = "faborite_source"."ID"
WHEN MATCHED THEN UPDATE SET "NAME" = "faborite_source"."NAME", "COUNTRY" = "faborite_source"."COUNTRY", "ORDER_COUNT" = "faborite_source"."ORDER_COUNT", "LIFETIME_VALUE" = "faborite_source"."LIFETIME_VALUE"
WHEN NOT MATCHED THEN INSERT ("ID", "NAME", "COUNTRY", "ORDER_COUNT", "LIFETIME_VALUE") VALUES ("faborite_source"."ID", "faborite_source"."NAME", "faborite_source"."COUNTRY", "faborite_source"."ORDER_COUNT", "faborite_source"."LIFETIME_VALUE");
