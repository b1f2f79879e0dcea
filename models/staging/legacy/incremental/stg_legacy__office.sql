with source as (
    select
        id,
        name,
        address1,
        address2,
        city,
        state,
        zip,
        country,
        phone,
        email,
        is_active,
        created,
        modified,
        row_version
    from {{ source('legacy', 'dispatch_office') }}
    {{ legacy_rows_changed_since_last_load() }}
),

renamed as (
    select
        id as legacy_id,
        trim(name) as office_name,
        trim(address1) as address_line1,
        nullif(trim(address2), '') as address_line2,
        trim(city) as city,
        trim(state) as state,
        trim(zip) as postal_code,
        country::text as country,
        trim(phone) as phone,
        email::text as email,
        is_active,
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
