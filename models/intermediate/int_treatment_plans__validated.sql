-- Every legacy treatment plan with its verdict: its patient must exist and its document must
-- be a JSON object (invalid or empty JSON is quarantined: invalid_plan_json). An order that is
-- set but does not exist becomes NULL (orphan_order).
with plans as (
    select * from {{ ref('stg_legacy__plan') }}
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
        plans.*,
        patients.id as patient_id,
        orders.id as order_id,
        parsed.plan_json,
        to_jsonb(plans) as original_values
    from plans
    -- a function in FROM runs once per row, where a select-list call would be copied by the
    -- planner into every later use of plan_json: each document (1 to 20 KB) is parsed once
    cross join lateral util.try_jsonb(plans.data) as parsed (plan_json)
    left join patients on plans.legacy_patient_id = patients.legacy_id
    left join orders on plans.legacy_order_id = orders.legacy_id
),

checked as (
    select
        *,
        case
            when patient_id is null then 'orphan_patient'
            when coalesce(jsonb_typeof(plan_json), 'none') <> 'object' then 'invalid_plan_json'
        end as reject_reason,
        array_remove(array[
            case when legacy_order_id is not null and order_id is null then 'orphan_order' end
        ], null) as dq_issues
    from joined
),

final as (
    select
        legacy_id,
        {{ stable_uuid('treatment_plans', 'legacy_id') }} as treatment_plan_id,
        patient_id,
        order_id,
        version,
        coalesce(is_approved, false) as is_approved,
        approved_at,
        plan_json as plan,
        created_at,
        updated_at,
        reject_reason,
        dq_issues,
        case when reject_reason is not null then original_values end as original_values
    from checked
)

select * from final
