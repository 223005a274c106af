select id, status, amount, updated_at from {{ ref('payments') }}
