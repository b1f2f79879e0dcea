-- Every legacy treatment plan with its verdict: its patient must exist and its document must
-- be a JSON object (invalid or empty JSON is quarantined: invalid_plan_json). An order that is
-- set but does not exist becomes NULL (orphan_order).
--
-- Parsing the documents is most of this model's work (at scale 1.0, 67,000 documents, 363 MB,
-- about 27 CPU seconds). A document whose text is unchanged since the last build (same md5)
-- keeps the jsonb that build parsed, so a delta cutover parses only the changed plans.
{%- set earlier = adapter.get_relation(this.database, this.schema, this.identifier) if execute else none %}
{%- set reusable = earlier is not none
    and 'data_md5' in (adapter.get_columns_in_relation(earlier) | map(attribute='name') | list) %}
{%- set earlier_plans = this if reusable
    else '(values (null::integer, null::text, null::jsonb)) as none_yet (legacy_id, data_md5, plan)' %}

with plans as (
    select
        *,
        md5(data) as data_md5
    from {{ ref('stg_legacy__plan') }}
),

earlier_parses as (
    select
        legacy_id,
        data_md5,
        plan
    from {{ earlier_plans }}
    where plan is not null
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
        coalesce(earlier_parses.plan, parsed.plan_json) as plan_json,
        to_jsonb(plans) - 'data_md5' as original_values
    from plans
    left join earlier_parses
        on
            plans.legacy_id = earlier_parses.legacy_id
            and plans.data_md5 = earlier_parses.data_md5
    -- a function in FROM runs once per row, where a select-list call would be copied by the
    -- planner into every later use of plan_json: each new document (1 to 20 KB) is parsed once
    cross join
        lateral util.try_jsonb(
            case when earlier_parses.plan is null then plans.data end
        ) as parsed (plan_json)
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
        data_md5,
        created_at,
        updated_at,
        reject_reason,
        dq_issues,
        case when reject_reason is not null then original_values end as original_values
    from checked
)

select * from final
