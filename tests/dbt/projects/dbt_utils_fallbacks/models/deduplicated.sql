{{ dbt_utils.deduplicate(ref('orders'), 'id', 'updated_at desc') }}
