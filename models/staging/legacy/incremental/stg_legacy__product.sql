with source as (
    select
        id,
        order_id,
        category_id,
        sku,
        name,
        quantity,
        unit_price_cents,
        status,
        created,
        modified,
        row_version
    from {{ source('legacy', 'dispatch_product') }}
    {{ legacy_rows_changed_since_last_load() }}
),

renamed as (
    select
        id as legacy_id,
        order_id as legacy_order_id,
        category_id as legacy_category_id,
        nullif(trim(sku), '') as sku,
        trim(name) as product_name,
        quantity,
        unit_price_cents,
        status::text as status,
        {{ legacy_timestamp('created') }} as created_at,
        {{ legacy_timestamp('modified') }} as updated_at,
        row_version as legacy_row_version
    from source
)

-- staged_at: when this row was last written, because it is new or differs from the staged
-- one; the verdicts recompute the rows staged since their last build (macros/change_tracking.sql).
select
    renamed.*,
    now() as staged_at
from renamed
