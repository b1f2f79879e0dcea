with source as (
    select
        id,
        patient_id,
        doctor_id,
        author_id,
        channel,
        subject,
        body,
        read_at,
        created
    from {{ source('legacy', 'dispatch_record') }}
),

renamed as (
    select
        id as legacy_id,
        patient_id as legacy_patient_id,
        doctor_id as legacy_doctor_id,
        author_id as legacy_author_id,
        channel::text as channel,
        subject::text as subject,
        body,
        {{ legacy_timestamp('read_at') }} as read_at,
        {{ legacy_timestamp('created') }} as created_at
    from source
)

-- staged_at: when this row was last written, because it is new or differs from the staged
-- one; the verdicts recompute the rows staged since their last build (macros/change_tracking.sql).
select
    renamed.*,
    now() as staged_at
from renamed
