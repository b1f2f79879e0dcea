{{ config(
    materialized='incremental',
    unique_key='legacy_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    indexes=[{'columns': ['legacy_id'], 'unique': true}],
    post_hook="{{ finish_incremental_staging(source('legacy', 'dispatch_userprofile')) }}",
) }}

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
