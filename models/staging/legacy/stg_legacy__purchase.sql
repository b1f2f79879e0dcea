with source as (
    select
        id,
        payment_id,
        order_id,
        product_id,
        quantity,
        unit_price_cents,
        discount_id,
        created
    from {{ source('legacy', 'dispatch_purchase') }}
),

renamed as (
    select
        id as legacy_id,
        payment_id as legacy_payment_id,
        order_id as legacy_order_id,
        product_id as legacy_product_id,
        quantity,
        unit_price_cents,
        discount_id as legacy_discount_id,
        {{ legacy_timestamp('created') }} as created_at
    from source
)

select * from renamed
