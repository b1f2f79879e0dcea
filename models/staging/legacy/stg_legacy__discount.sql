with source as (
    select
        id,
        offer_id,
        code,
        amount_cents,
        percent,
        max_uses,
        used_count,
        created
    from {{ source('legacy', 'dispatch_discount') }}
),

renamed as (
    select
        id as legacy_id,
        offer_id as legacy_offer_id,
        trim(code) as code,
        amount_cents,
        percent,
        max_uses,
        used_count,
        {{ legacy_timestamp('created') }} as created_at
    from source
)

select * from renamed
