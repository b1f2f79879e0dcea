-- Every legacy technician role with its verdict: its account must exist.
with technician_roles as (
    select * from {{ ref('stg_legacy__technicianrole') }}
),

profiles as (
    select
        id,
        legacy_id
    from {{ ref('profiles') }}
),

joined as (
    select
        technician_roles.*,
        profiles.id as profile_id,
        to_jsonb(technician_roles) as original_values
    from technician_roles
    left join profiles on technician_roles.legacy_user_id = profiles.legacy_id
),

checked as (
    select
        *,
        case
            when profile_id is null then 'orphan_user'
            when coalesce(role, '') = '' then 'missing_role'
        end as reject_reason,
        array[]::text[] as dq_issues
    from joined
),

final as (
    select
        legacy_id,
        {{ stable_uuid('technician_roles', 'legacy_id') }} as technician_role_id,
        profile_id,
        lower(role) as role,
        level,
        created_at,
        reject_reason,
        dq_issues,
        case when reject_reason is not null then original_values end as original_values,
        now() as verdict_changed_at
    from checked
)

select * from final
