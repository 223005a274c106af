-- The sampled orders (sync sales_sample), typed and renamed for the marts.
SELECT
  order_id,
  customer_id,
  customer_email AS customer_key, -- sha256 of the e-mail: joins to stg_customers.customer_key
  store_id,
  region,
  product_id,
  order_date,
  DATE_TRUNC('MONTH', order_date) AS order_month,
  quantity,
  amount,
  status
FROM {{ ref("orders") }}
