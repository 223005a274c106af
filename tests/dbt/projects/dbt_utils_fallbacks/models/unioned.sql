select x, y, z from ({{ dbt_utils.union_relations([ref('part_a'), ref('part_b')]) }}) as u
