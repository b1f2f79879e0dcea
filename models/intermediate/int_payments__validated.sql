-- Every legacy payment with its verdict: its order and payer must exist; method and status
-- spellings go through seeds payment_methods and payment_statuses (unknown ones quarantined);
-- amounts are rounded to cents and negative ones quarantined.
with payments as (
    select * from {{ ref('stg_legacy__payment') }}
),

orders as (
    select
        id,
        legacy_id
    from {{ ref('orders') }}
),

profiles as (
    select
        id,
        legacy_id
    from {{ ref('profiles') }}
),

payment_methods as (
    select * from {{ ref('payment_methods') }}
),

payment_statuses as (
    select * from {{ ref('payment_statuses') }}
),

currencies as (
    select * from {{ ref('currencies') }}
),

joined as (
    select
        payments.*,
        orders.id as order_id,
        profiles.id as payer_profile_id,
        payment_methods.method as mapped_method,
        payment_statuses.status as mapped_status,
        currencies.currency as mapped_currency,
        {{ round_money('payments.amount') }} as amount_usd,
        to_jsonb(payments) as original_values
    from payments
    left join orders on payments.legacy_order_id = orders.legacy_id
    left join profiles on payments.legacy_payer_id = profiles.legacy_id
    left join payment_methods on {{ map_code('payments.method', 'payment_methods') }}
    left join payment_statuses on {{ map_code('payments.status', 'payment_statuses') }}
    left join currencies on {{ map_code('payments.currency', 'currencies') }}
),

checked as (
    select
        *,
        case
            when order_id is null then 'orphan_order'
            when payer_profile_id is null then 'orphan_payer'
            when mapped_status is null then 'unknown_status'
            when mapped_method is null then 'unknown_method'
            when amount is not null and amount_usd is null then 'invalid_money'
            when amount_usd < 0 then 'negative_money'
        end as reject_reason,
        array_remove(array[
            case when mapped_currency is null then 'unknown_currency' end
        ], null) as dq_issues
    from joined
),

final as (
    select
        legacy_id,
        {{ stable_uuid('payments', 'legacy_id') }} as payment_id,
        order_id,
        payer_profile_id,
        amount_usd,
        mapped_currency as currency,
        mapped_method as method,
        mapped_status as status,
        external_ref,
        paid_at,
        created_at,
        reject_reason,
        dq_issues,
        case when reject_reason is not null then original_values end as original_values,
        now() as verdict_changed_at
    from checked
)

select * from final
