{{ config(materialized="table", tags=["daily"]) }}
select o.id, o.amount, c.name
from {{ ref("stg_orders") }} o join {{ ref("stg_customers") }} c on c.id = o.customer_id
