{#- The usual incremental filter as one condition, so models stay plain SQL that `faborite fmt` formats:
    the rows newer than the newest in the previous version, or every row on a full build. -#}
{% macro newer_than_this(column) -%}
{%- if is_incremental() -%}
{{ column }} > (select max({{ column }}) from {{ this }})
{%- else -%}
true
{%- endif -%}
{%- endmacro %}
