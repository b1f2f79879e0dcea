with source as (
    select
        id,
        user_id,
        role,
        level,
        created
    from {{ source('legacy', 'dispatch_technicianrole') }}
),

renamed as (
    select
        id as legacy_id,
        user_id as legacy_user_id,
        trim(role) as role,
        level,
        {{ legacy_timestamp('created') }} as created_at
    from source
)

select * from renamed
