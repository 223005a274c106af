{#- More of faborite's dbt_utils fallbacks (see dbt_utils.sql): the catalog-introspection macros,
    dbt_utils 0.x names that large projects still call, and generic tests.
    Plan time: no query reaches the warehouse, so catalog lookups find no relations and query helpers
    answer their default, as dbt's parse phase does. -#}

{% macro get_table_types_sql() -%}
case table_type
    when 'BASE TABLE' then 'table'
    when 'EXTERNAL TABLE' then 'external'
    when 'MATERIALIZED VIEW' then 'materializedview'
    else lower(table_type)
end as {{ adapter.quote('table_type') }}
{%- endmacro %}

{% macro get_tables_by_pattern_sql(schema_pattern, table_pattern, exclude='', database=target.database) -%}
select distinct
    table_schema as {{ adapter.quote('table_schema') }},
    table_name as {{ adapter.quote('table_name') }},
    {{ get_table_types_sql() }}
from information_schema.tables
where table_schema ilike '{{ schema_pattern }}'
and table_name ilike '{{ table_pattern }}'
and table_name not ilike '{{ exclude }}'
{%- endmacro %}

{% macro get_tables_by_prefix_sql(schema, prefix, exclude='', database=target.database) -%}
{{ get_tables_by_pattern_sql(schema, prefix ~ '%', exclude, database) }}
{%- endmacro %}

{% macro get_relations_by_pattern(schema_pattern, table_pattern, exclude='', database=target.database) -%}
{#- The warehouse's catalog is not read at plan time: no relations (dbt's parse-time answer). -#}
{{ return([]) }}
{%- endmacro %}

{% macro get_relations_by_prefix(schema, prefix, exclude='', database=target.database) -%}
{{ return([]) }}
{%- endmacro %}

{% macro get_single_value(query, default=none) -%}
{{ return(default) }}
{%- endmacro %}

{% macro get_query_results_as_dict(query) -%}
{{ return({}) }}
{%- endmacro %}

{% macro surrogate_key(field_list) -%}
{#- dbt_utils 0.x: fields as varargs or one list; nulls as '' (generate_surrogate_key differs). -#}
{%- set fields = field_list if field_list is iterable and field_list is not string else [field_list] + varargs -%}
{%- set parts = [] -%}
{%- for field in fields -%}
    {%- do parts.append("coalesce(cast(" ~ field ~ " as " ~ dbt.type_string() ~ "), '')") -%}
    {%- if not loop.last %}{%- do parts.append("'-'") -%}{%- endif -%}
{%- endfor -%}
{{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}

{#- dbt_utils 0.x cross-database macros: now dbt's own. -#}
{% macro current_timestamp() %}{{ return(dbt.current_timestamp()) }}{% endmacro %}
{% macro dateadd(datepart, interval, from_date_or_timestamp) %}{{ return(dbt.dateadd(datepart, interval, from_date_or_timestamp)) }}{% endmacro %}
{% macro datediff(first_date, second_date, datepart) %}{{ return(dbt.datediff(first_date, second_date, datepart)) }}{% endmacro %}
{% macro date_trunc(datepart, date) %}{{ return(dbt.date_trunc(datepart, date)) }}{% endmacro %}
{% macro last_day(date, datepart) %}{{ return(dbt.last_day(date, datepart)) }}{% endmacro %}
{% macro split_part(string_text, delimiter_text, part_number) %}{{ return(dbt.split_part(string_text, delimiter_text, part_number)) }}{% endmacro %}
{% macro safe_cast(field, type) %}{{ return(dbt.safe_cast(field, type)) }}{% endmacro %}
{% macro concat(fields) %}{{ return(dbt.concat(fields)) }}{% endmacro %}
{% macro hash(field) %}{{ return(dbt.hash(field)) }}{% endmacro %}
{% macro listagg(measure, delimiter_text="','", order_by_clause=none, limit_num=none) %}{{ return(dbt.listagg(measure, delimiter_text, order_by_clause, limit_num)) }}{% endmacro %}
{% macro any_value(expression) %}{{ return(dbt.any_value(expression)) }}{% endmacro %}
{% macro bool_or(expression) %}{{ return(dbt.bool_or(expression)) }}{% endmacro %}
{% macro cast_bool_to_text(field) %}{{ return(dbt.cast_bool_to_text(field)) }}{% endmacro %}
{% macro escape_single_quotes(expression) %}{{ return(dbt.escape_single_quotes(expression)) }}{% endmacro %}
{% macro string_literal(value) %}{{ return(dbt.string_literal(value)) }}{% endmacro %}
{% macro length(expression) %}{{ return(dbt.length(expression)) }}{% endmacro %}
{% macro position(substring_text, string_text) %}{{ return(dbt.position(substring_text, string_text)) }}{% endmacro %}
{% macro replace(field, old_chars, new_chars) %}{{ return(dbt.replace(field, old_chars, new_chars)) }}{% endmacro %}
{% macro right(string_text, length_expression) %}{{ return(dbt.right(string_text, length_expression)) }}{% endmacro %}
{% macro except() %}{{ return(dbt.except()) }}{% endmacro %}
{% macro intersect() %}{{ return(dbt.intersect()) }}{% endmacro %}
{% macro type_string() %}{{ return(dbt.type_string()) }}{% endmacro %}
{% macro type_timestamp() %}{{ return(dbt.type_timestamp()) }}{% endmacro %}
{% macro type_int() %}{{ return(dbt.type_int()) }}{% endmacro %}
{% macro type_bigint() %}{{ return(dbt.type_bigint()) }}{% endmacro %}
{% macro type_float() %}{{ return(dbt.type_float()) }}{% endmacro %}
{% macro type_numeric() %}{{ return(dbt.type_numeric()) }}{% endmacro %}

{% macro get_url_parameter(field, url_parameter) -%}
{%- set formatted_url_parameter = "'" ~ url_parameter ~ "='" -%}
{%- set split = dbt.split_part(dbt.split_part(field, formatted_url_parameter, 2), "'&'", 1) -%}
nullif({{ split }}, '')
{%- endmacro %}

{% macro get_url_host(field) -%}
{%- set parsed = dbt.split_part(dbt.split_part(dbt.replace(dbt.replace(dbt.replace(field, "'android-app://'", "''"), "'http://'", "''"), "'https://'", "''"), "'/'", 1), "'?'", 1) -%}
{{ dbt.safe_cast(parsed, dbt.type_string()) }}
{%- endmacro %}

{% macro log_info(message) -%}
{{ log(message, info=True) }}
{%- endmacro %}

{% macro pretty_time(format='%H:%M:%S') -%}
{{ return(modules.datetime.datetime.now().strftime(format)) }}
{%- endmacro %}

{% macro pretty_log_format(message) -%}
{{ return(pretty_time() ~ ' + ' ~ message) }}
{%- endmacro %}

{% macro slugify(string) -%}
{%- set string = modules.re.sub('[ -]+', '_', string | lower) -%}
{%- set string = modules.re.sub('[^a-z0-9_]+', '', string) -%}
{%- if modules.re.match('^[0-9]', string) -%}{%- set string = '_' ~ string -%}{%- endif -%}
{{ return(string) }}
{%- endmacro %}

{#- Generic tests: each returns the failing rows, as dbt_utils' tests do. -#}

{% macro test_not_constant(model, column_name, group_by_columns=[]) -%}
select count(distinct {{ column_name }}) as filler_column
from {{ model }}
having count(distinct {{ column_name }}) = 1
{%- endmacro %}

{% macro test_at_least_one(model, column_name, group_by_columns=[]) -%}
select count({{ column_name }}) as filler_column
from {{ model }}
having count({{ column_name }}) = 0
{%- endmacro %}

{% macro test_not_accepted_values(model, column_name, values, quote=True) -%}
select {{ column_name }} as value_field
from {{ model }}
where {{ column_name }} in (
{%- for value in values -%}{% if quote %}'{{ value }}'{% else %}{{ value }}{% endif %}{{ ', ' if not loop.last }}{%- endfor -%})
{%- endmacro %}

{% macro test_not_empty_string(model, column_name, trim_whitespace=true) -%}
select {{ column_name }} from {{ model }}
where {% if trim_whitespace %}trim({{ column_name }}){% else %}{{ column_name }}{% endif %} = ''
{%- endmacro %}

{% macro test_relationships_where(model, column_name, to, field, from_condition="1=1", to_condition="1=1") -%}
select child.{{ column_name }}
from (select {{ column_name }} from {{ model }} where {{ column_name }} is not null and {{ from_condition }}) as child
left join (select {{ field }} from {{ to }} where {{ to_condition }}) as parent
    on child.{{ column_name }} = parent.{{ field }}
where parent.{{ field }} is null
{%- endmacro %}

{% macro test_equal_rowcount(model, compare_model, group_by_columns=[]) -%}
select * from (select count(*) as n from {{ model }}) as a
cross join (select count(*) as m from {{ compare_model }}) as b
where a.n <> b.m
{%- endmacro %}

{% macro test_fewer_rows_than(model, compare_model, group_by_columns=[]) -%}
select * from (select count(*) as n from {{ model }}) as a
cross join (select count(*) as m from {{ compare_model }}) as b
where a.n >= b.m
{%- endmacro %}

{% macro test_cardinality_equality(model, column_name, to, field) -%}
select * from (select count(distinct {{ column_name }}) as n from {{ model }}) as a
cross join (select count(distinct {{ field }}) as m from {{ to }}) as b
where a.n <> b.m
{%- endmacro %}

{% macro test_recency(model, field, datepart, interval, ignore_time_component=False, group_by_columns=[]) -%}
select max({{ field }}) as most_recent
from {{ model }}
having max({{ field }}) < {{ dbt.dateadd(datepart, interval * -1, dbt.current_timestamp()) }} or max({{ field }}) is null
{%- endmacro %}
