with source as (
    select
        id,
        name,
        slug,
        parent_id,
        sort_order,
        is_active
    from {{ source('legacy', 'dispatch_category') }}
),

renamed as (
    select
        id as legacy_id,
        parent_id as legacy_parent_id,
        sort_order,
        is_active,
        trim(name) as category_name,
        trim(slug) as slug
    from source
)

select * from renamed
