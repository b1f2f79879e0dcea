with source as (
    select
        key,
        size_bytes,
        md5
    from {{ source('legacy', 'storage_inventory') }}
),

renamed as (
    select
        key::text as object_key,
        size_bytes,
        md5::text as md5
    from source
)

select * from renamed
