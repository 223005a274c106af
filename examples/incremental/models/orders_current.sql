{{ config(unique_key='order_id', incremental_strategy='merge') }}
-- merge: the latest version of each order, replaced when the order changes.
SELECT
  order_id,
  customer,
  amount,
  updated_at
FROM {{ ref('orders') }}
WHERE
  {{ newer_than_this('updated_at') }}
QUALIFY
  ROW_NUMBER() OVER (PARTITION BY order_id ORDER BY updated_at DESC) = 1
