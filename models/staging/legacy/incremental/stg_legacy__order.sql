with source as (
    select
        id,
        order_no,
        patient_id,
        doctor_id,
        office_id,
        status,
        total,
        currency,
        rush,
        notes,
        submitted_at,
        shipped_at,
        created,
        modified,
        row_version
    from {{ source('legacy', 'dispatch_order') }}
    {{ legacy_rows_changed_since_last_load() }}
),

renamed as (
    select
        id as legacy_id,
        trim(order_no) as order_number,
        patient_id as legacy_patient_id,
        doctor_id as legacy_doctor_id,
        office_id as legacy_office_id,
        status as legacy_status,
        total,
        currency::text as currency,
        rush as is_rush,
        notes,
        {{ legacy_timestamp('submitted_at') }} as submitted_at,
        {{ legacy_timestamp('shipped_at') }} as shipped_at,
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
