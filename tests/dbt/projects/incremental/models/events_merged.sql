{{ config(materialized='incremental', unique_key='id', incremental_strategy='merge') }}
select id, amount from {{ ref('events') }}
{% if is_incremental() %}
where amount <> coalesce((select sum(amount) from {{ this }} t where t.id = {{ ref('events') }}.id), -1)
{% endif %}
