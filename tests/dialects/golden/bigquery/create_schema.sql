-- create_schema: bigquery, from the template project (duckdb models)
CREATE SCHEMA IF NOT EXISTS `main`;

CREATE SCHEMA IF NOT EXISTS `faborite__main`;
