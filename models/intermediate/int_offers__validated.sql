-- Every legacy offer with its verdict. An offer without doctor is for everyone, so a doctor
-- (or order) that is set but does not exist quarantines the offer rather than widening it to
-- everyone; so does a validity window that ends before it starts.
with offers as (
    select * from {{ ref('stg_legacy__offer') }}
),

doctors as (
    select
        id,
        legacy_id
    from {{ ref('doctors') }}
),

orders as (
    select
        id,
        legacy_id
    from {{ ref('orders') }}
),

joined as (
    select
        offers.*,
        doctors.id as doctor_id,
        orders.id as order_id,
        to_jsonb(offers) as original_values
    from offers
    left join doctors on offers.legacy_doctor_id = doctors.legacy_id
    left join orders on offers.legacy_order_id = orders.legacy_id
),

checked as (
    select
        *,
        case
            when legacy_doctor_id is not null and doctor_id is null then 'orphan_doctor'
            when legacy_order_id is not null and order_id is null then 'orphan_order'
            when valid_to < valid_from then 'inverted_validity_window'
            when percent_off < 0 then 'negative_money'
        end as reject_reason,
        array[]::text[] as dq_issues
    from joined
),

final as (
    select
        legacy_id,
        {{ stable_uuid('offers', 'legacy_id') }} as offer_id,
        doctor_id,
        order_id,
        title,
        percent_off,
        valid_from,
        valid_to,
        coalesce(is_active, false) as is_active,
        created_at,
        reject_reason,
        dq_issues,
        case when reject_reason is not null then original_values end as original_values,
        now() as verdict_changed_at
    from checked
)

select * from final
