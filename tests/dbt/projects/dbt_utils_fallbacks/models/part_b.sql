select 2 as x, 'b' as z
