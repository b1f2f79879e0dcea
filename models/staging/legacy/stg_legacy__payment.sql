with source as (
    select
        id,
        order_id,
        payer_id,
        amount,
        currency,
        method,
        status,
        external_ref,
        paid_at,
        created
    from {{ source('legacy', 'dispatch_payment') }}
),

renamed as (
    select
        id as legacy_id,
        order_id as legacy_order_id,
        payer_id as legacy_payer_id,
        amount,
        currency::text as currency,
        method::text as method,
        status::text as status,
        nullif(trim(external_ref), '') as external_ref,
        {{ legacy_timestamp('paid_at') }} as paid_at,
        {{ legacy_timestamp('created') }} as created_at
    from source
)

select * from renamed
