with source as (
    select
        id,
        doctor_id,
        patient_id,
        body,
        is_private,
        created,
        modified
    from {{ source('legacy', 'dispatch_doctornote') }}
    {{ legacy_rows_changed_since_last_load() }}
),

renamed as (
    select
        id as legacy_id,
        doctor_id as legacy_doctor_id,
        patient_id as legacy_patient_id,
        body,
        is_private,
        {{ legacy_timestamp('created') }} as created_at,
        {{ legacy_timestamp('modified') }} as updated_at
    from source
)

select * from renamed
