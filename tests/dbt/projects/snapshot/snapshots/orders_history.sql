{% snapshot orders_history %}
{{ config(unique_key='id', strategy='timestamp', updated_at='updated_at') }}
select id, status, cast(updated_at as timestamp) as updated_at from {{ ref('orders_raw') }}
{% endsnapshot %}
