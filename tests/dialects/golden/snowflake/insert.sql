-- insert_into model.daily_revenue: snowflake, from the template project (duckdb models)
INSERT INTO "faborite__main"."daily_revenue__0123456789ab" ("DAY", "ORDERS", "REVENUE")
SELECT ordered_at AS day, COUNT(*) AS orders, SUM(amount) AS revenue FROM "faborite__main"."stg_orders__0123456789ab" WHERE status IN ('completed', 'shipped') GROUP BY ordered_at;
