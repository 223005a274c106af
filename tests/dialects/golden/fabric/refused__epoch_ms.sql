-- refused: duckdb -> fabric
SELECT epoch_ms(1700000000000) AS ts;
-- ProviderError: cannot translate from duckdb to fabric: UnixToTime scale 3 is not supported by Fabric
-- hint: rewrite the construct in SQL both dialects share, or use a target that supports it
