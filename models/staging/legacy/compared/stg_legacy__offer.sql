with source as (
    select
        id,
        doctor_id,
        order_id,
        title,
        percent_off,
        valid_from,
        valid_to,
        is_active,
        created
    from {{ source('legacy', 'dispatch_offer') }}
),

renamed as (
    select
        id as legacy_id,
        doctor_id as legacy_doctor_id,
        order_id as legacy_order_id,
        trim(title) as title,
        percent_off,
        valid_from,
        valid_to,
        is_active,
        {{ legacy_timestamp('created') }} as created_at
    from source
)

-- staged_at: when this row was last written, because it is new or differs from the staged
-- one; the verdicts recompute the rows staged since their last build (macros/change_tracking.sql).
select
    renamed.*,
    now() as staged_at
from renamed
