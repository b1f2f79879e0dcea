-- Every legacy office with its verdict: the repaired target values, the data-quality issues
-- found on the way, and a reject_reason when no rule can make the row valid.
with offices as (
    select * from {{ ref('stg_legacy__office') }}
    -- a delta recomputes only the verdicts that may have changed (macros/change_tracking.sql)
    {{ verdicts_to_recompute() }}
),

country_codes as (
    select * from {{ ref('country_codes') }}
),

repaired as (
    select
        offices.*,
        country_codes.country_code,
        {{ normalize_email('offices.email') }} as normalized_email,
        to_jsonb(offices) - 'staged_at' - 'legacy_row_version' as original_values
    from offices
    left join country_codes
        on {{ map_code('offices.country', 'country_codes') }}
),

checked as (
    select
        *,
        case
            when coalesce(office_name, '') = '' then 'missing_name'
        end as reject_reason,
        array_remove(array[
            case when country is not null and country_code is null then 'unknown_country' end,
            case
                when normalized_email is not null and not {{ is_valid_email('normalized_email') }}
                    then 'invalid_email'
            end,
            {{ legacy_modified_issue('updated_at') }}
        ], null) as dq_issues
    from repaired
),

final as (
    select
        legacy_id,
        {{ stable_uuid('offices', 'legacy_id') }} as office_id,
        office_name,
        address_line1,
        address_line2,
        city,
        state,
        postal_code,
        country_code,
        phone,
        case when 'invalid_email' = any(dq_issues) then null else normalized_email end as email,
        coalesce(is_active, false) as is_active,
        created_at,
        {{ legacy_modified('updated_at') }} as updated_at,
        reject_reason,
        dq_issues,
        case when reject_reason is not null then original_values end as original_values,
        now() as verdict_changed_at
    from checked
)

select * from final
