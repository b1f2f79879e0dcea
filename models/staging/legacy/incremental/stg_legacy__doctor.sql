with source as (
    select
        id,
        user_id,
        office_id,
        license_no,
        specialty,
        title,
        is_deleted,
        created,
        modified,
        row_version
    from {{ source('legacy', 'dispatch_doctor') }}
    {{ legacy_rows_changed_since_last_load() }}
),

renamed as (
    select
        id as legacy_id,
        user_id as legacy_user_id,
        office_id as legacy_office_id,
        nullif(trim(license_no), '') as license_number,
        nullif(trim(specialty), '') as specialty,
        title::text as title,
        is_deleted,
        {{ legacy_timestamp('created') }} as created_at,
        {{ legacy_timestamp('modified') }} as updated_at,
        row_version as legacy_row_version
    from source
)

-- staged_at: when this row was last written, because it is new or differs from the staged
-- one; the verdicts recompute the rows staged since their last build (macros/change_tracking.sql).
select
    renamed.*,
    now() as staged_at
from renamed
