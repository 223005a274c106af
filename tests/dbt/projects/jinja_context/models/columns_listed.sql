{%- set names = [] -%}
{%- for column in adapter.get_columns_in_relation(ref('orders')) -%}
  {%- do names.append(column.name) -%}
{%- endfor -%}
select {{ adapter.quote('id') }}, '{{ names | join(",") }}' as names from {{ ref('orders') }} where id = 1
