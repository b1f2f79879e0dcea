{{ config(pre_hook="{{ delete_vanished_rows(ref('int_orders__validated')) }}") }}
-- depends_on: {{ ref('quarantine_orders') }}

with validated as (
    select * from {{ ref('int_orders__validated') }}
    where
        reject_reason is null
        and {{ verdicts_changed_since_last_load(ref('int_orders__validated')) }}
),

final as (
    select
        order_id as id,
        legacy_id,
        order_number,
        patient_id,
        doctor_id,
        office_id,
        status,
        total_usd,
        currency,
        is_rush,
        notes,
        submitted_at,
        shipped_at,
        created_at,
        updated_at
    from validated
)

{{ select_changed_rows('final') }}
