-- Every legacy task with its verdict. Its order and patient must exist in the target; a
-- patient that disagrees with the order's patient is kept as the legacy row says and reported
-- (patient_disagrees_with_order). Status free text goes through seed task_statuses; an
-- assignee that does not exist becomes NULL (orphan_assignee).
with tasks as (
    select * from {{ ref('stg_legacy__task') }}
    -- a delta recomputes only the verdicts that may have changed (macros/change_tracking.sql)
    {{ verdicts_to_recompute({
        'legacy_order_id': ref('int_orders__validated'),
        'legacy_patient_id': ref('int_patients__validated'),
        'legacy_assignee_id': ref('int_profiles__validated'),
    }) }}
),

orders as (
    select
        id,
        legacy_id,
        patient_id
    from {{ ref('orders') }}
),

patients as (
    select
        id,
        legacy_id
    from {{ ref('patients') }}
),

profiles as (
    select
        id,
        legacy_id
    from {{ ref('profiles') }}
),

task_statuses as (
    select * from {{ ref('task_statuses') }}
),

joined as (
    select
        tasks.*,
        orders.id as order_id,
        orders.patient_id as order_patient_id,
        patients.id as patient_id,
        profiles.id as assignee_profile_id,
        task_statuses.status as mapped_status,
        to_jsonb(tasks) - 'staged_at' - 'legacy_row_version' as original_values
    from tasks
    left join orders on tasks.legacy_order_id = orders.legacy_id
    left join patients on tasks.legacy_patient_id = patients.legacy_id
    left join profiles on tasks.legacy_assignee_id = profiles.legacy_id
    left join task_statuses on {{ map_code('tasks.status', 'task_statuses') }}
),

checked as (
    select
        *,
        case
            when order_id is null then 'orphan_order'
            when patient_id is null then 'orphan_patient'
            when mapped_status is null then 'unknown_status'
        end as reject_reason,
        array_remove(array[
            case when patient_id <> order_patient_id then 'patient_disagrees_with_order' end,
            case
                when legacy_assignee_id is not null and assignee_profile_id is null
                    then 'orphan_assignee'
            end,
            {{ legacy_modified_issue('updated_at') }}
        ], null) as dq_issues
    from joined
),

final as (
    select
        legacy_id,
        {{ stable_uuid('tasks', 'legacy_id') }} as task_id,
        order_id,
        patient_id,
        kind,
        mapped_status as status,
        assignee_profile_id,
        due_date,
        completed_at,
        notes,
        created_at,
        {{ legacy_modified('updated_at') }} as updated_at,
        reject_reason,
        dq_issues,
        case when reject_reason is not null then original_values end as original_values,
        now() as verdict_changed_at
    from checked
)

select * from final
