with source as (
    select
        id,
        doctor_id,
        order_id,
        title,
        percent_off,
        valid_from,
        valid_to,
        is_active,
        created
    from {{ source('legacy', 'dispatch_offer') }}
),

renamed as (
    select
        id as legacy_id,
        doctor_id as legacy_doctor_id,
        order_id as legacy_order_id,
        trim(title) as title,
        percent_off,
        valid_from,
        valid_to,
        is_active,
        {{ legacy_timestamp('created') }} as created_at
    from source
)

select * from renamed
