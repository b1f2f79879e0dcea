with source as (
    select
        id,
        order_id,
        case_id,
        uploaded_by_id,
        path,
        original_name,
        mime_type,
        size_bytes,
        md5,
        created
    from {{ source('legacy', 'dispatch_file') }}
),

renamed as (
    select
        id as legacy_id,
        order_id as legacy_order_id,
        case_id as legacy_case_id,
        uploaded_by_id as legacy_uploaded_by_id,
        path::text as path,
        original_name::text as original_name,
        nullif(trim(mime_type), '') as mime_type,
        size_bytes,
        md5::text as md5,
        {{ legacy_timestamp('created') }} as created_at
    from source
)

-- staged_at: when this row was last written, because it is new or differs from the staged
-- one; the verdicts recompute the rows staged since their last build (macros/change_tracking.sql).
select
    renamed.*,
    now() as staged_at
from renamed
