with source as (
    select
        id,
        doctor_id,
        office_id
    from {{ source('legacy', 'dispatch_doctor_offices') }}
),

renamed as (
    select
        id as legacy_id,
        doctor_id as legacy_doctor_id,
        office_id as legacy_office_id
    from source
)

select * from renamed
