{{ config(pre_hook="{{ delete_vanished_rows(ref('int_cases__validated')) }}") }}
-- depends_on: {{ ref('quarantine_cases') }}

with validated as (
    select * from {{ ref('int_cases__validated') }}
    where
        reject_reason is null
        and {{ verdicts_changed_since_last_load(ref('int_cases__validated')) }}
),

final as (
    select
        case_id as id,
        legacy_id,
        patient_id,
        doctor_id,
        title,
        state,
        opened_at,
        closed_at,
        is_deleted,
        created_at,
        updated_at
    from validated
)

{{ select_changed_rows('final') }}
