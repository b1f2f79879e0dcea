{{ config(pre_hook="{{ delete_vanished_rows(ref('int_offers__validated')) }}") }}
-- depends_on: {{ ref('quarantine_offers') }}

with validated as (
    select * from {{ ref('int_offers__validated') }}
    where
        reject_reason is null
        and {{ verdicts_changed_since_last_load(ref('int_offers__validated')) }}
),

final as (
    select
        offer_id as id,
        legacy_id,
        doctor_id,
        order_id,
        title,
        percent_off,
        valid_from,
        valid_to,
        is_active,
        created_at
    from validated
)

{{ select_changed_rows('final') }}
