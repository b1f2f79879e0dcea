with source as (
    select
        id,
        user_id,
        role,
        phone,
        office_id,
        timezone,
        settings,
        avatar,
        created,
        modified,
        row_version
    from {{ source('legacy', 'dispatch_userprofile') }}
    {{ legacy_rows_changed_since_last_load() }}
),

renamed as (
    select
        id as legacy_id,
        user_id as legacy_user_id,
        role::text as role,
        trim(phone) as phone,
        office_id as legacy_office_id,
        nullif(trim(timezone), '') as timezone,
        settings,
        nullif(trim(avatar), '') as avatar_key,
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
