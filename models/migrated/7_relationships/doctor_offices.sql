{{ config(pre_hook="{{ delete_vanished_rows(
    ref('int_doctor_offices__validated'),
    'reject_reason is null and merged_into_legacy_id is null'
) }}") }}
-- depends_on: {{ ref('quarantine_doctor_offices') }}

-- Duplicate legacy pairs are merged into the first one: one row per (doctor, office).
with validated as (
    select * from {{ ref('int_doctor_offices__validated') }}
    where
        reject_reason is null
        and merged_into_legacy_id is null
        and {{ verdicts_changed_since_last_load(ref('int_doctor_offices__validated')) }}
),

final as (
    select
        link_id as id,
        legacy_id,
        doctor_id,
        office_id
    from validated
)

{{ select_changed_rows('final') }}
