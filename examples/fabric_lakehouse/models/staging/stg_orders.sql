-- The sampled orders (sync sales_sample), typed and renamed for the marts.
select
    order_id,
    customer_id,
    customer_email as customer_key,  -- sha256 of the e-mail: joins to stg_customers.customer_key
    store_id,
    region,
    product_id,
    order_date,
    date_trunc('month', order_date) as order_month,
    quantity,
    amount,
    status
from {{ ref("orders") }}
