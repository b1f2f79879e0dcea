with source as (
    select
        id,
        patient_id,
        order_id,
        rating,
        comment,
        created
    from {{ source('legacy', 'dispatch_feedback') }}
),

renamed as (
    select
        id as legacy_id,
        patient_id as legacy_patient_id,
        order_id as legacy_order_id,
        rating,
        comment,
        {{ legacy_timestamp('created') }} as created_at
    from source
)

-- staged_at: when this row was last written, because it is new or differs from the staged
-- one; the verdicts recompute the rows staged since their last build (macros/change_tracking.sql).
select
    renamed.*,
    now() as staged_at
from renamed
