with source as (
    select
        id,
        record_id,
        path,
        filename,
        size_bytes,
        created
    from {{ source('legacy', 'dispatch_record_attachment') }}
),

renamed as (
    select
        id as legacy_id,
        record_id as legacy_message_id,
        path::text as path,
        filename::text as filename,
        size_bytes,
        {{ legacy_timestamp('created') }} as created_at
    from source
)

-- staged_at: when this row was last written, because it is new or differs from the staged
-- one; the verdicts recompute the rows staged since their last build (macros/change_tracking.sql).
select
    renamed.*,
    now() as staged_at
from renamed
