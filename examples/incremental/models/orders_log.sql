-- append: every version of every order, in the order they arrived.
SELECT
  order_id,
  customer,
  amount,
  updated_at
FROM {{ ref('orders') }}
WHERE
  {{ newer_than_this('updated_at') }}
