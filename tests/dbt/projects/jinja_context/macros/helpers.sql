{% macro statuses() -%}
  {%- set found = [] -%}
  {%- for s in ['paid', 'open'] -%}{%- do found.append(s) -%}{%- endfor -%}
  this text is not the value
  {{- return(found) -}}
{%- endmacro %}

{% macro amount_expr(column) -%}
  {{- return(adapter.dispatch('amount_expr', 'jinja_context')(column)) -}}
{%- endmacro %}

{% macro default__amount_expr(column) -%}{{ column }} * 100{%- endmacro %}

{% macro duckdb__amount_expr(column) -%}{{ column }} * 10{%- endmacro %}
