-- Every legacy project with its verdict. Order and technician are optional: set but missing,
-- they become NULL and are reported. Status spellings go through seed project_statuses
-- (unknown ones quarantined); milestones that are not JSON become NULL (invalid_milestones_json).
with projects as (
    select * from {{ ref('stg_legacy__project') }}
    -- a delta recomputes only the verdicts that may have changed (macros/change_tracking.sql)
    {{ verdicts_to_recompute({
        'legacy_order_id': ref('int_orders__validated'),
        'legacy_technician_id': ref('int_profiles__validated'),
    }) }}
),

orders as (
    select
        id,
        legacy_id
    from {{ ref('orders') }}
),

profiles as (
    select
        id,
        legacy_id
    from {{ ref('profiles') }}
),

project_statuses as (
    select * from {{ ref('project_statuses') }}
),

joined as (
    select
        projects.*,
        orders.id as order_id,
        profiles.id as technician_profile_id,
        project_statuses.status as mapped_status,
        util.try_jsonb(projects.milestones) as milestones_json,
        to_jsonb(projects) - 'staged_at' - 'legacy_row_version' as original_values
    from projects
    left join orders on projects.legacy_order_id = orders.legacy_id
    left join profiles on projects.legacy_technician_id = profiles.legacy_id
    left join project_statuses on {{ map_code('projects.status', 'project_statuses') }}
),

checked as (
    select
        *,
        case
            when mapped_status is null then 'unknown_status'
        end as reject_reason,
        array_remove(array[
            case when legacy_order_id is not null and order_id is null then 'orphan_order' end,
            case
                when legacy_technician_id is not null and technician_profile_id is null
                    then 'orphan_technician'
            end,
            case
                when nullif(trim(milestones), '') is not null and milestones_json is null
                    then 'invalid_milestones_json'
            end,
            {{ legacy_modified_issue('updated_at') }}
        ], null) as dq_issues
    from joined
),

final as (
    select
        legacy_id,
        {{ stable_uuid('projects', 'legacy_id') }} as project_id,
        project_name,
        order_id,
        technician_profile_id,
        mapped_status as status,
        milestones_json as milestones,
        started_at,
        finished_at,
        created_at,
        {{ legacy_modified('updated_at') }} as updated_at,
        reject_reason,
        dq_issues,
        case when reject_reason is not null then original_values end as original_values,
        now() as verdict_changed_at
    from checked
)

select * from final
