-- create_schema: snowflake, from the template project (duckdb models)
CREATE SCHEMA IF NOT EXISTS "main";

CREATE SCHEMA IF NOT EXISTS "faborite__main";
