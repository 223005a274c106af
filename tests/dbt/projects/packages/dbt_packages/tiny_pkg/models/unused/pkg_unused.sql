select 1 as never_built
