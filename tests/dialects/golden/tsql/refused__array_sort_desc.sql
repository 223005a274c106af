-- refused: duckdb -> tsql
SELECT array_sort([3, 1, 2], 'DESC') AS s;
-- ProviderError: cannot translate from duckdb to tsql: ARRAY_SORT only sorts ascending with NULLs last
-- hint: rewrite the construct in SQL both dialects share, or use a target that supports it
