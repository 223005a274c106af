select count(*) as n from {{ ref('people_upper') }}
