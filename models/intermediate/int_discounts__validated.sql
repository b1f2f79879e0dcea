-- Every legacy discount with its verdict. Codes are unique case-insensitively in the target:
-- among valid discounts whose codes differ only by case, the first (lowest legacy id) is
-- migrated and the others are merged into it (merged_into_legacy_id); purchases that used a
-- merged discount point to the survivor.
with discounts as (
    select * from {{ ref('stg_legacy__discount') }}
),

offers as (
    select
        id,
        legacy_id
    from {{ ref('offers') }}
),

joined as (
    select
        discounts.*,
        offers.id as offer_id,
        upper(discounts.code) as normalized_code,
        to_jsonb(discounts) as original_values
    from discounts
    left join offers on discounts.legacy_offer_id = offers.legacy_id
),

checked as (
    select
        *,
        case
            when offer_id is null then 'orphan_offer'
            when coalesce(code, '') = '' then 'missing_code'
            when amount_cents < 0 or percent < 0 then 'negative_money'
        end as reject_reason
    from joined
),

with_merges as (
    select
        *,
        {{ merged_into_legacy_id('normalized_code') }} as merged_into_legacy_id
    from checked
),

with_merged_ids as (
    select
        with_merges.*,
        array(
            select duplicates.legacy_id
            from with_merges as duplicates
            where duplicates.merged_into_legacy_id = with_merges.legacy_id
            order by duplicates.legacy_id
        ) as merged_legacy_ids
    from with_merges
),

final as (
    select
        legacy_id,
        {{ stable_uuid('discounts', 'legacy_id') }} as discount_id,
        offer_id,
        normalized_code as code,
        amount_cents,
        percent,
        max_uses,
        used_count,
        merged_legacy_ids,
        created_at,
        reject_reason,
        merged_into_legacy_id,
        array_remove(array[
            case when cardinality(merged_legacy_ids) > 0 then 'case_duplicate_codes_merged' end
        ], null) as dq_issues,
        case when reject_reason is not null then original_values end as original_values,
        now() as verdict_changed_at
    from with_merged_ids
)

select * from final
