{{ config(pre_hook="{{ delete_vanished_rows(ref('int_doctor_notes__validated')) }}") }}
-- depends_on: {{ ref('quarantine_doctor_notes') }}

with validated as (
    select * from {{ ref('int_doctor_notes__validated') }}
    where
        reject_reason is null
        and {{ verdicts_changed_since_last_load(ref('int_doctor_notes__validated')) }}
),

final as (
    select
        doctor_note_id as id,
        legacy_id,
        doctor_id,
        patient_id,
        body,
        is_private,
        created_at,
        updated_at
    from validated
)

{{ select_changed_rows('final') }}
