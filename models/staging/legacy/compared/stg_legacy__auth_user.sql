-- The password column is never selected: the read-only role has no SELECT on it anyway.
with source as (
    select
        id,
        username,
        email,
        first_name,
        last_name,
        is_staff,
        is_superuser,
        is_active,
        date_joined,
        last_login
    from {{ source('legacy', 'auth_user') }}
),

renamed as (
    select
        id as legacy_id,
        username::text as username,
        email::text as email,
        trim(first_name) as first_name,
        trim(last_name) as last_name,
        is_staff,
        is_superuser,
        is_active,
        {{ legacy_timestamp('date_joined') }} as joined_at,
        {{ legacy_timestamp('last_login') }} as last_login_at
    from source
)

-- staged_at: when this row was last written, because it is new or differs from the staged
-- one; the verdicts recompute the rows staged since their last build (macros/change_tracking.sql).
select
    renamed.*,
    now() as staged_at
from renamed
