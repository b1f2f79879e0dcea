-- Every legacy treatment plan with its verdict: its patient must exist and its document must
-- be a JSON object (invalid or empty JSON is quarantined: invalid_plan_json). An order that is
-- set but does not exist becomes NULL (orphan_order). The documents themselves are parsed by
-- int_treatment_plan_documents, which keeps them between runs; this table holds no document,
-- so rebuilding it on every run costs no more than the other verdicts.

with plans as (
    select * from {{ ref('stg_legacy__plan') }}
    -- a delta recomputes only the verdicts that may have changed (macros/change_tracking.sql)
    {{ verdicts_to_recompute({
        'legacy_patient_id': ref('int_patients__validated'),
        'legacy_order_id': ref('int_orders__validated'),
    }) }}
),

documents as (
    select
        legacy_id,
        plan_type
    from {{ ref('int_treatment_plan_documents') }}
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
        documents.plan_type,
        to_jsonb(plans) - 'data_md5' - 'staged_at' - 'legacy_row_version' as original_values
    from plans
    left join documents on plans.legacy_id = documents.legacy_id
    left join patients on plans.legacy_patient_id = patients.legacy_id
    left join orders on plans.legacy_order_id = orders.legacy_id
),

checked as (
    select
        *,
        case
            when patient_id is null then 'orphan_patient'
            when coalesce(plan_type, 'none') <> 'object' then 'invalid_plan_json'
        end as reject_reason,
        array_remove(array[
            case when legacy_order_id is not null and order_id is null then 'orphan_order' end,
            {{ legacy_modified_issue('updated_at') }}
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
        created_at,
        {{ legacy_modified('updated_at') }} as updated_at,
        reject_reason,
        dq_issues,
        case when reject_reason is not null then original_values end as original_values,
        now() as verdict_changed_at
    from checked
)

select * from final
