-- Every legacy product (order line) with its verdict: its order and category must exist,
-- status spellings go through seed product_statuses, negative prices are quarantined.
with products as (
    select * from {{ ref('stg_legacy__product') }}
    -- a delta recomputes only the verdicts that may have changed (macros/change_tracking.sql)
    {{ verdicts_to_recompute({
        'legacy_order_id': ref('int_orders__validated'),
        'legacy_category_id': ref('int_categories__validated'),
    }) }}
),

orders as (
    select
        id,
        legacy_id
    from {{ ref('orders') }}
),

categories as (
    select
        id,
        legacy_id
    from {{ ref('categories') }}
),

product_statuses as (
    select * from {{ ref('product_statuses') }}
),

joined as (
    select
        products.*,
        orders.id as order_id,
        categories.id as category_id,
        product_statuses.status as mapped_status,
        to_jsonb(products) - 'staged_at' - 'legacy_row_version' as original_values
    from products
    left join orders on products.legacy_order_id = orders.legacy_id
    left join categories on products.legacy_category_id = categories.legacy_id
    left join product_statuses on {{ map_code('products.status', 'product_statuses') }}
),

checked as (
    select
        *,
        case
            when order_id is null then 'orphan_order'
            when category_id is null then 'orphan_category'
            when mapped_status is null then 'unknown_status'
            when unit_price_cents < 0 then 'negative_money'
        end as reject_reason,
        array_remove(array[
            {{ legacy_modified_issue('updated_at') }}
        ], null) as dq_issues
    from joined
),

final as (
    select
        legacy_id,
        {{ stable_uuid('products', 'legacy_id') }} as product_id,
        order_id,
        category_id,
        sku,
        product_name,
        quantity,
        unit_price_cents,
        mapped_status as status,
        created_at,
        {{ legacy_modified('updated_at') }} as updated_at,
        reject_reason,
        dq_issues,
        case when reject_reason is not null then original_values end as original_values,
        now() as verdict_changed_at
    from checked
)

select * from final
