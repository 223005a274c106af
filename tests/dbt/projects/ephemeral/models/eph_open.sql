{{ config(materialized='ephemeral') }}
select * from {{ ref('eph_orders') }} where status = 'open'
