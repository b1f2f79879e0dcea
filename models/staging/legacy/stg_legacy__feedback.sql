with source as (
    select
        id,
        patient_id,
        order_id,
        rating,
        comment,
        created
    from {{ source('legacy', 'dispatch_feedback') }}
),

renamed as (
    select
        id as legacy_id,
        patient_id as legacy_patient_id,
        order_id as legacy_order_id,
        rating,
        comment,
        {{ legacy_timestamp('created') }} as created_at
    from source
)

select * from renamed
