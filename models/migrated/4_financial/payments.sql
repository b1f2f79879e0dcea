{{ config(pre_hook="{{ delete_vanished_rows(ref('int_payments__validated')) }}") }}
-- depends_on: {{ ref('quarantine_payments') }}

with validated as (
    select * from {{ ref('int_payments__validated') }}
    where
        reject_reason is null
        and {{ verdicts_changed_since_last_load(ref('int_payments__validated')) }}
),

final as (
    select
        payment_id as id,
        legacy_id,
        order_id,
        payer_profile_id,
        amount_usd,
        currency,
        method,
        status,
        external_ref,
        paid_at,
        created_at
    from validated
)

{{ select_changed_rows('final') }}
