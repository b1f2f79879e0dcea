-- Every legacy case_files link with its verdict: its case and its file must exist. The legacy
-- table has no unique constraint: a pair that appears more than once is migrated once and the
-- other rows are merged into the first (merged_into_legacy_id).
with links as (
    select * from {{ ref('stg_legacy__case_files') }}
),

cases as (
    select
        id,
        legacy_id
    from {{ ref('cases') }}
),

files as (
    select
        id,
        legacy_id
    from {{ ref('files') }}
),

joined as (
    select
        links.*,
        cases.id as case_id,
        files.id as file_id,
        to_jsonb(links) as original_values
    from links
    left join cases on links.legacy_case_id = cases.legacy_id
    left join files on links.legacy_file_id = files.legacy_id
),

checked as (
    select
        *,
        case
            when case_id is null then 'orphan_case'
            when file_id is null then 'orphan_file'
        end as reject_reason
    from joined
),

with_merges as (
    select
        *,
        {{ merged_into_legacy_id('case_id, file_id') }} as merged_into_legacy_id
    from checked
),

final as (
    select
        legacy_id,
        {{ stable_uuid('case_files', 'legacy_id') }} as link_id,
        case_id,
        file_id,
        reject_reason,
        merged_into_legacy_id,
        array[]::text[] as dq_issues,
        case when reject_reason is not null then original_values end as original_values,
        now() as verdict_changed_at
    from with_merges
)

select * from final
