{{ config(pre_hook="{{ delete_vanished_rows(
    ref('int_discounts__validated'),
    'reject_reason is null and merged_into_legacy_id is null'
) }}") }}
-- depends_on: {{ ref('quarantine_discounts') }}

-- Discounts merged into another (codes that differ only by case) are not rows of their own:
-- the survivor lists them in merged_legacy_ids.
with validated as (
    select * from {{ ref('int_discounts__validated') }}
    where
        reject_reason is null
        and merged_into_legacy_id is null
        and {{ verdicts_changed_since_last_load(ref('int_discounts__validated')) }}
),

final as (
    select
        discount_id as id,
        legacy_id,
        offer_id,
        code,
        amount_cents,
        percent,
        max_uses,
        used_count,
        merged_legacy_ids,
        created_at
    from validated
)

{{ select_changed_rows('final') }}
