-- refused: duckdb -> tsql
SELECT t.a, l.b FROM t, LATERAL (SELECT t.a + 1 AS b) AS l;
-- ProviderError: cannot translate from duckdb to tsql: LATERAL clause is not supported.
-- hint: rewrite the construct in SQL both dialects share, or use a target that supports it
