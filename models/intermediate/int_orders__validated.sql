-- Every legacy order with its verdict. Status codes go through seed order_statuses (0 and 99
-- are unknown: quarantined); totals are rounded to cents (negative ones quarantined); a
-- patient, doctor and office must exist in the target. Duplicate order numbers are kept on
-- both orders and reported on the later ones (an order without a number is no duplicate).
with orders as (
    select * from {{ ref('stg_legacy__order') }}
    -- a delta recomputes only the verdicts that may have changed (macros/change_tracking.sql),
    -- with every order of a number that a changed or gone order has or had
    {{ verdicts_to_recompute({
        'legacy_patient_id': ref('int_patients__validated'),
        'legacy_doctor_id': ref('int_doctors__validated'),
        'legacy_office_id': ref('int_offices__validated'),
    }, together='order_number') }}
),

-- the rank of each of these orders among all staged orders of its number
order_number_ranks as (
    select
        staged_orders.legacy_id,
        row_number() over (
            partition by staged_orders.order_number order by staged_orders.legacy_id
        ) as order_number_rank
    from {{ ref('stg_legacy__order') }} as staged_orders
    where staged_orders.order_number in (select orders.order_number from orders)
),

patients as (
    select
        id,
        legacy_id
    from {{ ref('patients') }}
),

doctors as (
    select
        id,
        legacy_id
    from {{ ref('doctors') }}
),

offices as (
    select
        id,
        legacy_id
    from {{ ref('offices') }}
),

order_statuses as (
    select * from {{ ref('order_statuses') }}
),

currencies as (
    select * from {{ ref('currencies') }}
),

joined as (
    select
        orders.*,
        patients.id as patient_id,
        doctors.id as doctor_id,
        offices.id as office_id,
        order_statuses.status,
        currencies.currency as mapped_currency,
        {{ round_money('orders.total') }} as total_usd,
        order_number_ranks.order_number_rank,
        to_jsonb(orders) - 'staged_at' - 'legacy_row_version' as original_values
    from orders
    left join order_number_ranks on orders.legacy_id = order_number_ranks.legacy_id
    left join patients on orders.legacy_patient_id = patients.legacy_id
    left join doctors on orders.legacy_doctor_id = doctors.legacy_id
    left join offices on orders.legacy_office_id = offices.legacy_id
    left join order_statuses on orders.legacy_status = order_statuses.legacy_status
    left join currencies on {{ map_code('orders.currency', 'currencies') }}
),

checked as (
    select
        *,
        case
            when patient_id is null then 'orphan_patient'
            when doctor_id is null then 'orphan_doctor'
            when office_id is null then 'orphan_office'
            when status is null then 'unknown_status'
            when total is not null and total_usd is null then 'invalid_money'
            when total_usd < 0 then 'negative_money'
        end as reject_reason,
        array_remove(array[
            case when order_number_rank > 1 then 'duplicate_order_number' end,
            case when currency is null then 'missing_currency' end,
            case when currency is not null and mapped_currency is null then 'unknown_currency' end,
            {{ legacy_modified_issue('updated_at') }}
        ], null) as dq_issues
    from joined
),

final as (
    select
        legacy_id,
        {{ stable_uuid('orders', 'legacy_id') }} as order_id,
        order_number,
        patient_id,
        doctor_id,
        office_id,
        status,
        total_usd,
        mapped_currency as currency,
        coalesce(is_rush, false) as is_rush,
        notes,
        submitted_at,
        shipped_at,
        created_at,
        {{ legacy_modified('updated_at') }} as updated_at,
        reject_reason,
        dq_issues,
        case when reject_reason is not null then original_values end as original_values,
        now() as verdict_changed_at
    from checked
)

select * from final
