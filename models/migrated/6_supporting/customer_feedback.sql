{{ config(pre_hook="{{ delete_vanished_rows(ref('int_customer_feedback__validated')) }}") }}
-- depends_on: {{ ref('quarantine_customer_feedback') }}

with validated as (
    select * from {{ ref('int_customer_feedback__validated') }}
    where
        reject_reason is null
        and {{ verdicts_changed_since_last_load(ref('int_customer_feedback__validated')) }}
),

final as (
    select
        customer_feedback_id as id,
        legacy_id,
        patient_id,
        order_id,
        rating,
        comment,
        created_at
    from validated
)

{{ select_changed_rows('final') }}
