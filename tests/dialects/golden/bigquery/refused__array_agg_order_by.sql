-- refused: duckdb -> bigquery
SELECT array_agg(a ORDER BY b) FROM t;
-- ProviderError: cannot translate from duckdb to bigquery: 'NULLS LAST' translation not supported for aggregate function ARRAY_AGG with  sort order
-- hint: rewrite the construct in SQL both dialects share, or use a target that supports it
