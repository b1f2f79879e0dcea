with source as (
    select
        id,
        user_id,
        role,
        phone,
        office_id,
        timezone,
        settings,
        avatar,
        created,
        modified
    from {{ source('legacy', 'dispatch_userprofile') }}
    {{ legacy_rows_changed_since_last_load() }}
),

renamed as (
    select
        id as legacy_id,
        user_id as legacy_user_id,
        role::text as role,
        trim(phone) as phone,
        office_id as legacy_office_id,
        nullif(trim(timezone), '') as timezone,
        settings,
        nullif(trim(avatar), '') as avatar_key,
        {{ legacy_timestamp('created') }} as created_at,
        {{ legacy_timestamp('modified') }} as updated_at
    from source
)

select * from renamed
