-- Every legacy category with its verdict. A parent that does not exist (or is the category
-- itself) is not essential: the category is migrated as top-level and the issue reported.
with categories as (
    select * from {{ ref('stg_legacy__category') }}
),

with_parent as (
    select
        categories.*,
        parents.legacy_id as existing_parent_id,
        to_jsonb(categories) as original_values
    from categories
    left join categories as parents
        on
            categories.legacy_parent_id = parents.legacy_id
            and categories.legacy_parent_id <> categories.legacy_id
),

checked as (
    select
        *,
        case
            when coalesce(category_name, '') = '' then 'missing_name'
        end as reject_reason,
        array_remove(array[
            case
                when legacy_parent_id is not null and existing_parent_id is null then 'orphan_parent'
            end
        ], null) as dq_issues
    from with_parent
),

final as (
    select
        legacy_id,
        {{ stable_uuid('categories', 'legacy_id') }} as category_id,
        category_name,
        slug,
        case
            when existing_parent_id is not null
                then {{ stable_uuid('categories', 'existing_parent_id') }}
        end as parent_category_id,
        sort_order,
        coalesce(is_active, false) as is_active,
        reject_reason,
        dq_issues,
        case when reject_reason is not null then original_values end as original_values,
        now() as verdict_changed_at
    from checked
)

select * from final
