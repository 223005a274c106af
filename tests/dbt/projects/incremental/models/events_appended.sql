{{ config(materialized='incremental') }}
select id, amount from {{ ref('events') }}
{% if is_incremental() %}
where id > (select max(id) from {{ this }})
{% endif %}
