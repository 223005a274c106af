-- refused: duckdb -> snowflake
SELECT a FROM t EXCEPT ALL SELECT a FROM u;
-- ProviderError: cannot translate from duckdb to snowflake: EXCEPT ALL is not supported
-- hint: rewrite the construct in SQL both dialects share, or use a target that supports it
