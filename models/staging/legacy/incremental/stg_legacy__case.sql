with source as (
    select
        id,
        patient_id,
        doctor_id,
        title,
        state,
        opened_at,
        closed_at,
        is_deleted,
        created,
        modified,
        row_version
    from {{ source('legacy', 'dispatch_case') }}
    {{ legacy_rows_changed_since_last_load() }}
),

renamed as (
    select
        id as legacy_id,
        patient_id as legacy_patient_id,
        doctor_id as legacy_doctor_id,
        trim(title) as title,
        state::text as state,
        {{ legacy_timestamp('opened_at') }} as opened_at,
        {{ legacy_timestamp('closed_at') }} as closed_at,
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
