select day, {{ to_cents('1.25') }} as fee_cents from (values (date '2024-01-01'), (date '2024-01-02')) as t(day)
