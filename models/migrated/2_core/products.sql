{{ config(pre_hook="{{ delete_vanished_rows(ref('int_products__validated')) }}") }}
-- depends_on: {{ ref('quarantine_products') }}

with validated as (
    select * from {{ ref('int_products__validated') }}
    where
        reject_reason is null
        and {{ verdicts_changed_since_last_load(ref('int_products__validated')) }}
),

final as (
    select
        product_id as id,
        legacy_id,
        order_id,
        category_id,
        sku,
        product_name as name,
        quantity,
        unit_price_cents,
        status,
        created_at,
        updated_at
    from validated
)

{{ select_changed_rows('final') }}
