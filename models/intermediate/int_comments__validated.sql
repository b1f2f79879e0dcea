-- Every legacy comment with its verdict. The generic reference (content_type, object_id) is
-- split into typed references to orders, cases or tasks; another content type
-- (unknown_content_type) or a reference that points nowhere (reference_points_nowhere) is
-- quarantined, as is a missing author. Removed comments are migrated and marked removed.
with comments as (
    select * from {{ ref('stg_legacy__comment') }}
    -- a delta recomputes only the verdicts that may have changed (macros/change_tracking.sql)
    {{ verdicts_to_recompute({
        "case when lower(trim(content_type)) = 'order' then legacy_object_id end": ref('int_orders__validated'),
        "case when lower(trim(content_type)) = 'case' then legacy_object_id end": ref('int_cases__validated'),
        "case when lower(trim(content_type)) = 'task' then legacy_object_id end": ref('int_tasks__validated'),
        'legacy_author_id': ref('int_profiles__validated'),
    }) }}
),

orders as (
    select
        id,
        legacy_id
    from {{ ref('orders') }}
),

cases as (
    select
        id,
        legacy_id
    from {{ ref('cases') }}
),

tasks as (
    select
        id,
        legacy_id
    from {{ ref('tasks') }}
),

profiles as (
    select
        id,
        legacy_id
    from {{ ref('profiles') }}
),

typed as (
    select
        comments.*,
        lower(trim(comments.content_type)) as object_type,
        to_jsonb(comments) - 'staged_at' as original_values
    from comments
),

joined as (
    select
        typed.*,
        orders.id as order_id,
        cases.id as case_id,
        tasks.id as task_id,
        profiles.id as author_profile_id
    from typed
    left join orders
        on typed.object_type = 'order' and typed.legacy_object_id = orders.legacy_id
    left join cases
        on typed.object_type = 'case' and typed.legacy_object_id = cases.legacy_id
    left join tasks
        on typed.object_type = 'task' and typed.legacy_object_id = tasks.legacy_id
    left join profiles on typed.legacy_author_id = profiles.legacy_id
),

checked as (
    select
        *,
        case
            when object_type not in ('order', 'case', 'task') then 'unknown_content_type'
            when coalesce(order_id, case_id, task_id) is null then 'reference_points_nowhere'
            when author_profile_id is null then 'orphan_author'
        end as reject_reason,
        array[]::text[] as dq_issues
    from joined
),

final as (
    select
        legacy_id,
        {{ stable_uuid('comments', 'legacy_id') }} as comment_id,
        object_type,
        order_id,
        case_id,
        task_id,
        author_profile_id,
        body,
        coalesce(is_removed, false) as is_removed,
        created_at,
        reject_reason,
        dq_issues,
        case when reject_reason is not null then original_values end as original_values,
        now() as verdict_changed_at
    from checked
)

select * from final
