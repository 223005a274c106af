select 1 as x, 'a' as y
