with source as (
    select
        id,
        content_type,
        object_id,
        author_id,
        body,
        is_removed,
        created
    from {{ source('legacy', 'dispatch_comment') }}
),

renamed as (
    select
        id as legacy_id,
        content_type::text as content_type,
        object_id as legacy_object_id,
        author_id as legacy_author_id,
        body,
        is_removed,
        {{ legacy_timestamp('created') }} as created_at
    from source
)

select * from renamed
