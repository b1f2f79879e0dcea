-- Every legacy purchase with its verdict: its payment and order must exist; a product or
-- discount that is set but does not exist becomes NULL (reported); a discount merged into
-- another (case-duplicate codes) points to the survivor. An order that differs from the
-- payment's order is kept and reported (order_disagrees_with_payment).
with purchases as (
    select * from {{ ref('stg_legacy__purchase') }}
),

payments as (
    select
        id,
        legacy_id,
        order_id
    from {{ ref('payments') }}
),

orders as (
    select
        id,
        legacy_id
    from {{ ref('orders') }}
),

products as (
    select
        id,
        legacy_id
    from {{ ref('products') }}
),

discounts as (
    select
        id,
        legacy_id
    from {{ ref('discounts') }}
    union all
    select
        id,
        unnest(merged_legacy_ids) as legacy_id
    from {{ ref('discounts') }}
),

joined as (
    select
        purchases.*,
        payments.id as payment_id,
        payments.order_id as payment_order_id,
        orders.id as order_id,
        products.id as product_id,
        discounts.id as discount_id,
        to_jsonb(purchases) as original_values
    from purchases
    left join payments on purchases.legacy_payment_id = payments.legacy_id
    left join orders on purchases.legacy_order_id = orders.legacy_id
    left join products on purchases.legacy_product_id = products.legacy_id
    left join discounts on purchases.legacy_discount_id = discounts.legacy_id
),

checked as (
    select
        *,
        case
            when payment_id is null then 'orphan_payment'
            when order_id is null then 'orphan_order'
            when unit_price_cents < 0 then 'negative_money'
        end as reject_reason,
        array_remove(array[
            case when order_id <> payment_order_id then 'order_disagrees_with_payment' end,
            case
                when legacy_product_id is not null and product_id is null then 'orphan_product'
            end,
            case
                when legacy_discount_id is not null and discount_id is null then 'orphan_discount'
            end
        ], null) as dq_issues
    from joined
),

final as (
    select
        legacy_id,
        {{ stable_uuid('purchases', 'legacy_id') }} as purchase_id,
        payment_id,
        order_id,
        product_id,
        discount_id,
        quantity,
        unit_price_cents,
        created_at,
        reject_reason,
        dq_issues,
        case when reject_reason is not null then original_values end as original_values,
        now() as verdict_changed_at
    from checked
)

select * from final
