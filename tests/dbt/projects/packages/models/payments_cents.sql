select id, cast(round(amount * 100) as integer) as cents, (select count(*) from {{ ref('pkg_calendar') }}) as days from {{ ref('payments') }}
