-- Every legacy doctor_offices link with its verdict: its doctor and its office must exist. The legacy
-- table has no unique constraint: a pair that appears more than once is migrated once and the
-- other rows are merged into the first (merged_into_legacy_id).
with links as (
    select * from {{ ref('stg_legacy__doctor_offices') }}
),

doctors as (
    select
        id,
        legacy_id
    from {{ ref('doctors') }}
),

offices as (
    select
        id,
        legacy_id
    from {{ ref('offices') }}
),

joined as (
    select
        links.*,
        doctors.id as doctor_id,
        offices.id as office_id,
        to_jsonb(links) as original_values
    from links
    left join doctors on links.legacy_doctor_id = doctors.legacy_id
    left join offices on links.legacy_office_id = offices.legacy_id
),

checked as (
    select
        *,
        case
            when doctor_id is null then 'orphan_doctor'
            when office_id is null then 'orphan_office'
        end as reject_reason
    from joined
),

with_merges as (
    select
        *,
        {{ merged_into_legacy_id('doctor_id, office_id') }} as merged_into_legacy_id
    from checked
),

final as (
    select
        legacy_id,
        {{ stable_uuid('doctor_offices', 'legacy_id') }} as link_id,
        doctor_id,
        office_id,
        reject_reason,
        merged_into_legacy_id,
        array[]::text[] as dq_issues,
        case when reject_reason is not null then original_values end as original_values,
        now() as verdict_changed_at
    from with_merges
)

select * from final
