with source as (
    select
        id,
        doctor_id,
        office_id,
        first_name,
        last_name,
        email,
        phone,
        birth_date,
        sex,
        chart_no,
        is_deleted,
        created,
        modified,
        row_version
    from {{ source('legacy', 'dispatch_patient') }}
    {{ legacy_rows_changed_since_last_load() }}
),

renamed as (
    select
        id as legacy_id,
        doctor_id as legacy_doctor_id,
        office_id as legacy_office_id,
        trim(first_name) as first_name,
        trim(last_name) as last_name,
        email::text as email,
        trim(phone) as phone,
        trim(birth_date) as birth_date,
        sex::text as sex,
        nullif(trim(chart_no), '') as chart_number,
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
