with source as (
    select
        id,
        user_id,
        role,
        level,
        created
    from {{ source('legacy', 'dispatch_technicianrole') }}
),

renamed as (
    select
        id as legacy_id,
        user_id as legacy_user_id,
        trim(role) as role,
        level,
        {{ legacy_timestamp('created') }} as created_at
    from source
)

-- staged_at: when this row was last written, because it is new or differs from the staged
-- one; the verdicts recompute the rows staged since their last build (macros/change_tracking.sql).
select
    renamed.*,
    now() as staged_at
from renamed
