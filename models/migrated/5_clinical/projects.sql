{{ config(pre_hook="{{ delete_vanished_rows(ref('int_projects__validated')) }}") }}
-- depends_on: {{ ref('quarantine_projects') }}

with validated as (
    select * from {{ ref('int_projects__validated') }}
    where
        reject_reason is null
        and {{ verdicts_changed_since_last_load(ref('int_projects__validated')) }}
),

final as (
    select
        project_id as id,
        legacy_id,
        project_name as name,
        order_id,
        technician_profile_id,
        status,
        milestones,
        started_at,
        finished_at,
        created_at,
        updated_at
    from validated
)

{{ select_changed_rows('final') }}
