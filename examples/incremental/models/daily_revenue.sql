-- microbatch: one batch per day; each run rebuilds the last recorded day and the one before.
{{ config(incremental_strategy='microbatch', event_time='day', batch_size='day', lookback=1, begin='2024-05-01', protect=true) }}
select cast(cast(updated_at as date) as timestamp) as day, sum(amount) as revenue, count(*) as orders
from {{ ref('orders') }}
group by 1
