-- Every legacy doctor with its verdict. A doctor needs an account (profiles) and a primary
-- office (offices); soft-deleted doctors are migrated and marked deleted.
with doctors as (
    select * from {{ ref('stg_legacy__doctor') }}
    -- a delta recomputes only the verdicts that may have changed (macros/change_tracking.sql)
    {{ verdicts_to_recompute({
        'legacy_user_id': ref('int_profiles__validated'),
        'legacy_office_id': ref('int_offices__validated'),
    }) }}
),

profiles as (
    select
        id,
        legacy_id
    from {{ ref('profiles') }}
),

offices as (
    select
        id,
        legacy_id
    from {{ ref('offices') }}
),

joined as (
    select
        doctors.*,
        profiles.id as profile_id,
        offices.id as office_id,
        to_jsonb(doctors) - 'staged_at' - 'legacy_row_version' as original_values
    from doctors
    left join profiles on doctors.legacy_user_id = profiles.legacy_id
    left join offices on doctors.legacy_office_id = offices.legacy_id
),

checked as (
    select
        *,
        case
            when profile_id is null then 'orphan_user'
            when office_id is null then 'orphan_office'
        end as reject_reason,
        array_remove(array[
            {{ legacy_modified_issue('updated_at') }}
        ], null) as dq_issues
    from joined
),

final as (
    select
        legacy_id,
        {{ stable_uuid('doctors', 'legacy_id') }} as doctor_id,
        profile_id,
        office_id,
        license_number,
        specialty,
        nullif(trim(title), '') as title,
        coalesce(is_deleted, false) as is_deleted,
        created_at,
        {{ legacy_modified('updated_at') }} as updated_at,
        reject_reason,
        dq_issues,
        case when reject_reason is not null then original_values end as original_values,
        now() as verdict_changed_at
    from checked
)

select * from final
