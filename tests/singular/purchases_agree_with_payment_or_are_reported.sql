-- A purchase belongs to the order its payment paid for, or the difference is reported as the
-- data-quality issue order_disagrees_with_payment. Returns the purchases that break this.
{{ config(severity='error', tags=['business_rule']) }}

with purchases as (
    select * from {{ ref('purchases') }}
),

payments as (
    select * from {{ ref('payments') }}
),

validated as (
    select * from {{ ref('int_purchases__validated') }}
)

select
    purchases.legacy_id,
    purchases.order_id,
    payments.order_id as payment_order_id
from purchases
inner join payments on purchases.payment_id = payments.id
inner join validated on purchases.legacy_id = validated.legacy_id
where
    purchases.order_id <> payments.order_id
    and not 'order_disagrees_with_payment' = any(validated.dq_issues)
