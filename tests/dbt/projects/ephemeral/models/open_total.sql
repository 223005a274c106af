select sum(amount) as total, count(*) as n from {{ ref('eph_open') }}
