{{ dbt_utils.unpivot(ref('part_a'), cast_to=dbt.type_string(), exclude=['x'], field_name='field', value_name='val') }}
