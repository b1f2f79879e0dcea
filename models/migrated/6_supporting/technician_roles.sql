{{ config(pre_hook="{{ delete_vanished_rows(ref('int_technician_roles__validated')) }}") }}
-- depends_on: {{ ref('quarantine_technician_roles') }}

with validated as (
    select * from {{ ref('int_technician_roles__validated') }}
    where
        reject_reason is null
        and {{ verdicts_changed_since_last_load(ref('int_technician_roles__validated')) }}
),

final as (
    select
        technician_role_id as id,
        legacy_id,
        profile_id,
        role,
        level,
        created_at
    from validated
)

{{ select_changed_rows('final') }}
