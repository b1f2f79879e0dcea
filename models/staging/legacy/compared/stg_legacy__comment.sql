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

-- staged_at: when this row was last written, because it is new or differs from the staged
-- one; the verdicts recompute the rows staged since their last build (macros/change_tracking.sql).
select
    renamed.*,
    now() as staged_at
from renamed
