-- refused: duckdb -> bigquery
SELECT array_sort([3, 1, 2], 'DESC') AS s;
-- ProviderError: cannot translate from duckdb to bigquery: ARRAY_SORT is only supported on an ARRAY_AGG without ORDER BY or LIMIT and with a literal order
-- hint: rewrite the construct in SQL both dialects share, or use a target that supports it
