-- Every legacy feedback with its verdict: its patient must exist; an order that is set but
-- does not exist becomes NULL (orphan_order); a rating outside 1..5 becomes NULL
-- (rating_out_of_range): the comment is still worth keeping.
with feedback as (
    select * from {{ ref('stg_legacy__feedback') }}
),

patients as (
    select
        id,
        legacy_id
    from {{ ref('patients') }}
),

orders as (
    select
        id,
        legacy_id
    from {{ ref('orders') }}
),

joined as (
    select
        feedback.*,
        patients.id as patient_id,
        orders.id as order_id,
        to_jsonb(feedback) as original_values
    from feedback
    left join patients on feedback.legacy_patient_id = patients.legacy_id
    left join orders on feedback.legacy_order_id = orders.legacy_id
),

checked as (
    select
        *,
        case
            when patient_id is null then 'orphan_patient'
        end as reject_reason,
        array_remove(array[
            case when legacy_order_id is not null and order_id is null then 'orphan_order' end,
            case when rating not between 1 and 5 then 'rating_out_of_range' end
        ], null) as dq_issues
    from joined
),

final as (
    select
        legacy_id,
        {{ stable_uuid('customer_feedback', 'legacy_id') }} as customer_feedback_id,
        patient_id,
        order_id,
        case when rating between 1 and 5 then rating end as rating,
        comment,
        created_at,
        reject_reason,
        dq_issues,
        case when reject_reason is not null then original_values end as original_values,
        now() as verdict_changed_at
    from checked
)

select * from final
