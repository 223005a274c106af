select status, count(*) as n from {{ ref('eph_orders') }} group by status
