{{ config(pre_hook="{{ delete_vanished_rows(ref('int_purchases__validated')) }}") }}
-- depends_on: {{ ref('quarantine_purchases') }}

with validated as (
    select * from {{ ref('int_purchases__validated') }}
    where
        reject_reason is null
        and {{ verdicts_changed_since_last_load(ref('int_purchases__validated')) }}
),

final as (
    select
        purchase_id as id,
        legacy_id,
        payment_id,
        order_id,
        product_id,
        discount_id,
        quantity,
        unit_price_cents,
        created_at
    from validated
)

{{ select_changed_rows('final') }}
