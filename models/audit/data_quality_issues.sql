-- Values that were dirty but not essential: migrated as NULL (or repaired) and reported here,
-- one row per legacy row and issue. Rows in the quarantine are not repeated here.
with offices as (
    select
        'offices'::text as entity,
        'dispatch_office'::text as legacy_table,
        legacy_id,
        dq_issues
    from {{ ref('int_offices__validated') }}
    where reject_reason is null
),

categories as (
    select
        'categories'::text as entity,
        'dispatch_category'::text as legacy_table,
        legacy_id,
        dq_issues
    from {{ ref('int_categories__validated') }}
    where reject_reason is null
),

profiles as (
    select
        'profiles'::text as entity,
        legacy_table,
        legacy_id,
        dq_issues
    from {{ ref('int_profiles__validated') }}
    where reject_reason is null
),

all_entities as (
    select * from offices
    union all
    select * from categories
    union all
    select * from profiles
),

final as (
    select
        all_entities.entity,
        all_entities.legacy_table,
        all_entities.legacy_id,
        issue.issue_code
    from all_entities
    cross join lateral unnest(all_entities.dq_issues) as issue (issue_code)
)

select * from final
