{% snapshot statuses_history %}
{{ config(unique_key='code') }}
select * from {{ ref('statuses') }}
{% endsnapshot %}
