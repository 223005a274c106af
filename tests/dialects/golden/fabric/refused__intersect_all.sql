-- refused: duckdb -> fabric
SELECT a FROM t INTERSECT ALL SELECT a FROM u;
-- ProviderError: cannot translate from duckdb to fabric: INTERSECT ALL is not supported
-- hint: rewrite the construct in SQL both dialects share, or use a target that supports it
