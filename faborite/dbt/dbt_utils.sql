{#- faborite's own implementations of widely used dbt_utils macros (dbt_utils 1.x semantics).
    Used only when dbt_utils is not vendored under dbt_packages/: a vendored package always wins.
    Plan-time semantics: columns come from adapter.get_columns_in_relation (the compile's own
    knowledge); get_column_values answers its default (no warehouse query at compile). -#}

{% macro generate_surrogate_key(field_list) -%}
{%- set fields = [] -%}
{%- for field in field_list -%}
    {%- do fields.append("coalesce(cast(" ~ field ~ " as " ~ dbt.type_string() ~ "), '_dbt_utils_surrogate_key_null_')") -%}
    {%- if not loop.last %}{%- do fields.append("'-'") -%}{%- endif -%}
{%- endfor -%}
{{ dbt.hash(dbt.concat(fields)) }}
{%- endmacro %}

{% macro get_filtered_columns_in_relation(from, except=[]) -%}
{%- set lowered = except | map('lower') | list -%}
{%- set include = [] -%}
{%- for col in adapter.get_columns_in_relation(from) -%}
    {%- if col.column | lower not in lowered -%}{%- do include.append(col.column) -%}{%- endif -%}
{%- endfor -%}
{{ return(include) }}
{%- endmacro %}

{% macro star(from, relation_alias=False, except=[], prefix='', suffix='', quote_identifiers=True) -%}
{%- set cols = get_filtered_columns_in_relation(from, except) -%}
{%- if cols | length <= 0 -%}
    {{ return('*') }}
{%- endif -%}
{%- for col in cols %}
    {%- if relation_alias %}{{ relation_alias }}.{% endif -%}
    {%- if quote_identifiers -%}
        {{ adapter.quote(col) }}{%- if prefix != '' or suffix != '' %} as {{ adapter.quote(prefix ~ col ~ suffix) }}{%- endif -%}
    {%- else -%}
        {{ col }}{%- if prefix != '' or suffix != '' %} as {{ prefix ~ col ~ suffix }}{%- endif -%}
    {%- endif -%}
    {%- if not loop.last %},{{ '\n  ' }}{%- endif -%}
{%- endfor -%}
{%- endmacro %}

{% macro union_relations(relations, column_override=none, include=[], exclude=[], source_column_name='_dbt_source_relation', where=none) -%}
{%- set include = include | map('lower') | list -%}
{%- set exclude = exclude | map('lower') | list -%}
{%- set ordered = [] -%}
{%- set per_relation = {} -%}
{%- for relation in relations -%}
    {%- set names = [] -%}
    {%- for col in adapter.get_columns_in_relation(relation) -%}
        {%- set lowered = col.column | lower -%}
        {%- if (not include or lowered in include) and lowered not in exclude -%}
            {%- do names.append(lowered) -%}
            {%- if lowered not in ordered -%}{%- do ordered.append(lowered) -%}{%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do per_relation.update({loop.index0: names}) -%}
{%- endfor -%}
{%- for i in range(relations | length) %}
(
    select
        cast({{ dbt.string_literal(relations[i]) }} as {{ dbt.type_string() }}) as {{ adapter.quote(source_column_name) }}
        {%- for name in ordered %},
        {{ adapter.quote(name) if name in per_relation[i] else 'null' }} as {{ adapter.quote(name) }}
        {%- endfor %}
    from {{ relations[i] }}
    {% if where -%} where {{ where }} {%- endif %}
)
{% if not loop.last %}union all{% endif %}
{%- endfor -%}
{%- endmacro %}

{% macro pivot(column, values, alias=True, agg='sum', cmp='=', prefix='', suffix='', then_value=1, else_value=0, quote_identifiers=True, distinct=False) -%}
{%- for value in values %}
  {{ agg }}(
    {% if distinct %} distinct {% endif %}
    case
    when {{ column }} {{ cmp }} '{{ dbt.escape_single_quotes(value) }}'
      then {{ then_value }}
    else {{ else_value }}
    end
  )
  {%- if alias %} as {{ adapter.quote(prefix ~ value ~ suffix) if quote_identifiers else prefix ~ value ~ suffix }}{% endif %}
  {%- if not loop.last %},{% endif %}
{%- endfor %}
{%- endmacro %}

{% macro unpivot(relation=none, cast_to='varchar', exclude=none, remove=none, field_name='field_name', value_name='value', quote_identifiers=False, table=none) -%}
{%- set relation = relation if relation is not none else table -%}
{%- set exclude = exclude if exclude is not none else [] -%}
{%- set remove = remove if remove is not none else [] -%}
{%- set skipped = (exclude + remove) | map('lower') | list -%}
{%- set include_cols = [] -%}
{%- for col in adapter.get_columns_in_relation(relation) -%}
    {%- if col.column | lower not in skipped -%}{%- do include_cols.append(col) -%}{%- endif -%}
{%- endfor -%}
{%- if include_cols | length == 0 and faborite_columns_pending() -%}
    {#- The relation's columns come once it is analysed: this render is redone then. -#}
    {{ return("select null as " ~ field_name) }}
{%- elif include_cols | length == 0 -%}
    {{ exceptions.raise_compiler_error("unpivot: the columns of " ~ relation.identifier ~ " are not known at plan time") }}
{%- endif -%}
{%- for col in include_cols -%}
    {%- set current_col_name = adapter.quote(col.column) if quote_identifiers else col.column %}
    select
      {%- for exclude_col in exclude %}
        {{ adapter.quote(exclude_col) if quote_identifiers else exclude_col }},
      {%- endfor %}
      cast('{{ col.column }}' as {{ dbt.type_string() }}) as {{ adapter.quote(field_name) if quote_identifiers else field_name }},
      cast({{ current_col_name }} as {{ cast_to }}) as {{ adapter.quote(value_name) if quote_identifiers else value_name }}
    from {{ relation }}
    {% if not loop.last -%}
      union all
    {% endif -%}
{%- endfor -%}
{%- endmacro %}

{% macro get_powers_of_two(upper_bound) -%}
{%- if upper_bound <= 0 -%}
{{ exceptions.raise_compiler_error("generate_series: upper bound must be positive") }}
{%- endif -%}
{%- for _ in range(1, 100) -%}
    {%- if upper_bound <= 2 ** loop.index -%}{{ return(loop.index) }}{%- endif -%}
{%- endfor -%}
{%- endmacro %}

{% macro generate_series(upper_bound) -%}
{%- set n = get_powers_of_two(upper_bound) %}
with p as (
    select 0 as generated_number union all select 1
), unioned as (
select
{%- for i in range(n) %}
    p{{ i }}.generated_number * power(2, {{ i }}){{ ' +' if not loop.last }}
{%- endfor %}
    + 1
    as generated_number
from
{%- for i in range(n) %}
    p as p{{ i }}{{ ' cross join' if not loop.last }}
{%- endfor %}
)
select * from unioned
where generated_number <= {{ upper_bound }}
order by generated_number
{%- endmacro %}

{% macro date_spine(datepart, start_date, end_date) -%}
with rawdata as (
    {{ generate_series(faborite_intervals_between(start_date, end_date, datepart)) }}
),
all_periods as (
    select (
        {{ dbt.dateadd(datepart, "row_number() over (order by 1) - 1", start_date) }}
    ) as date_{{ datepart }}
    from rawdata
),
filtered as (
    select * from all_periods
    where date_{{ datepart }} < {{ end_date }}
)
select * from filtered
{%- endmacro %}

{% macro get_column_values(table, column, order_by='count(*) desc', max_records=none, default=none, where=none) -%}
{#- Plan time: no query reaches the warehouse, so the answer is the default (dbt's parse-time answer). -#}
{{ return(default if default is not none else []) }}
{%- endmacro %}

{% macro deduplicate(relation, partition_by, order_by) -%}
with row_numbered as (
    select
        _inner.*,
        row_number() over (
            partition by {{ partition_by }}
            order by {{ order_by }}
        ) as rn
    from {{ relation }} as _inner
)
select distinct data.*
from {{ relation }} as data
natural join row_numbered
where row_numbered.rn = 1
{%- endmacro %}

{% macro safe_add(field_list) -%}
{%- set fields = [] -%}
{%- for field in field_list -%}{%- do fields.append("coalesce(" ~ field ~ ", 0)") -%}{%- endfor -%}
{{ fields | join(' +\n  ') }}
{%- endmacro %}

{% macro safe_subtract(field_list) -%}
{%- set fields = [] -%}
{%- for field in field_list -%}{%- do fields.append("coalesce(" ~ field ~ ", 0)") -%}{%- endfor -%}
{{ fields | join(' -\n  ') }}
{%- endmacro %}

{% macro safe_divide(numerator, denominator) -%}
( {{ numerator }} ) / nullif( ( {{ denominator }} ), 0)
{%- endmacro %}

{% macro group_by(n) -%}
group by {% for i in range(1, n + 1) -%}{{ i }}{{ ',' if not loop.last }}{%- endfor %}
{%- endmacro %}

{#- Generic tests: each returns the failing rows, as dbt_utils' tests do. -#}

{% macro test_expression_is_true(model, expression, column_name=None) -%}
select * from {{ model }}
where not ({{ column_name ~ ' ' if column_name }}{{ expression }})
{%- endmacro %}

{% macro test_not_null_proportion(model, column_name, at_least, at_most=1.0) -%}
with validation as (
    select sum(case when {{ column_name }} is null then 0 else 1 end) / cast(count(*) as {{ dbt.type_numeric() }}) as not_null_proportion
    from {{ model }}
)
select * from validation
where not_null_proportion < {{ at_least }} or not_null_proportion > {{ at_most }}
{%- endmacro %}

{% macro test_accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) -%}
select * from {{ model }}
where 1 = 2
{%- if min_value is not none %} or not {{ column_name }} >{{ '=' if inclusive }} {{ min_value }}{% endif %}
{%- if max_value is not none %} or not {{ column_name }} <{{ '=' if inclusive }} {{ max_value }}{% endif %}
{%- endmacro %}

{% macro test_unique_combination_of_columns(model, combination_of_columns, quote_columns=false) -%}
{%- set columns = [] -%}
{%- for column in combination_of_columns -%}{%- do columns.append(adapter.quote(column) if quote_columns else column) -%}{%- endfor -%}
select {{ columns | join(', ') }}
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{%- endmacro %}
