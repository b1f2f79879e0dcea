{{ config(pre_hook="{{ delete_vanished_rows(ref('int_treatment_plans__validated')) }}") }}
-- depends_on: {{ ref('quarantine_treatment_plans') }}

with validated as (
    select * from {{ ref('int_treatment_plans__validated') }}
    where reject_reason is null
),

final as (
    select
        treatment_plan_id as id,
        legacy_id,
        patient_id,
        order_id,
        version,
        is_approved,
        approved_at,
        plan,
        created_at,
        updated_at
    from validated
)

{{ select_changed_rows('final') }}
