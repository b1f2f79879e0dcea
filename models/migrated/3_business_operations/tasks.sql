{{ config(pre_hook="{{ delete_vanished_rows(ref('int_tasks__validated')) }}") }}
-- depends_on: {{ ref('quarantine_tasks') }}

with validated as (
    select * from {{ ref('int_tasks__validated') }}
    where
        reject_reason is null
        and {{ verdicts_changed_since_last_load(ref('int_tasks__validated')) }}
),

final as (
    select
        task_id as id,
        legacy_id,
        order_id,
        patient_id,
        kind,
        status,
        assignee_profile_id,
        due_date,
        completed_at,
        notes,
        created_at,
        updated_at
    from validated
)

{{ select_changed_rows('final') }}
