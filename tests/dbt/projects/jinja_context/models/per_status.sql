{%- set settings = {} -%}
{%- do settings.update({'cents': true}) -%}
{%- if var('missing_var', None) is not none -%}
  {{ exceptions.raise_compiler_error('var(x, None) must be None') }}
{%- endif -%}
{{ log('rendering ' ~ this.name, info=True) }}
select
  status,
  sum({{ amount_expr('amount') }}) as total,
  '{{ this.name }}' as model_name,
  '{{ target.type }}' as target_type,
  {{ execute }} as executed,
  '{{ modules.datetime.date(2024, 1, 2).strftime('%Y%m%d') }}' as stamp
from {{ ref('orders') }}
where status in ({% for s in statuses() %}'{{ s }}'{{ ', ' if not loop.last }}{% endfor %})
group by status
