{{ config(pre_hook="{{ delete_vanished_rows(ref('int_doctors__validated')) }}") }}
-- depends_on: {{ ref('quarantine_doctors') }}

with validated as (
    select * from {{ ref('int_doctors__validated') }}
    where
        reject_reason is null
        and {{ verdicts_changed_since_last_load(ref('int_doctors__validated')) }}
),

final as (
    select
        doctor_id as id,
        legacy_id,
        profile_id,
        office_id,
        license_number,
        specialty,
        title,
        is_deleted,
        created_at,
        updated_at
    from validated
)

{{ select_changed_rows('final') }}
