{{ config(materialized='ephemeral') }}
select id, amount, status from {{ ref('orders_raw') }}
