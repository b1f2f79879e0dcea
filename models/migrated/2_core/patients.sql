{{ config(pre_hook="{{ delete_vanished_rows(ref('int_patients__validated')) }}") }}
-- depends_on: {{ ref('quarantine_patients') }}

with validated as (
    select * from {{ ref('int_patients__validated') }}
    where
        reject_reason is null
        and {{ verdicts_changed_since_last_load(ref('int_patients__validated')) }}
),

final as (
    select
        patient_id as id,
        legacy_id,
        doctor_id,
        office_id,
        first_name,
        last_name,
        email,
        phone,
        birth_date,
        sex,
        chart_number,
        is_deleted,
        created_at,
        updated_at
    from validated
)

{{ select_changed_rows('final') }}
