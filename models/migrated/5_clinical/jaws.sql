{{ config(pre_hook="{{ delete_vanished_rows(ref('int_jaws__validated')) }}") }}
-- depends_on: {{ ref('quarantine_jaws') }}

with validated as (
    select * from {{ ref('int_jaws__validated') }}
    where
        reject_reason is null
        and {{ verdicts_changed_since_last_load(ref('int_jaws__validated')) }}
),

final as (
    select
        jaw_id as id,
        legacy_id,
        patient_id,
        jaw,
        teeth,
        created_at,
        updated_at
    from validated
)

{{ select_changed_rows('final') }}
