select status, count(*) as n from {{ ref('orders_history') }} where dbt_valid_to is null group by status
