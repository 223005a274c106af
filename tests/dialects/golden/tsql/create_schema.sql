-- create_schema: tsql, from the template project (duckdb models)
IF SCHEMA_ID(N'main') IS NULL EXEC(N'CREATE SCHEMA [main]');

IF SCHEMA_ID(N'faborite__main') IS NULL EXEC(N'CREATE SCHEMA [faborite__main]');
