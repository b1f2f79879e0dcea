-- Every legacy case state change with its verdict: its case must exist; state spellings go
-- through seed case_state_codes (unknown ones quarantined); a changer that does not exist becomes
-- NULL. A change dated before the previous change of its case is kept and reported
-- (history_out_of_order).
with case_states as (
    select * from {{ ref('stg_legacy__casestate') }}
),

cases as (
    select
        id,
        legacy_id
    from {{ ref('cases') }}
),

profiles as (
    select
        id,
        legacy_id
    from {{ ref('profiles') }}
),

state_codes as (
    select * from {{ ref('case_state_codes') }}
),

joined as (
    select
        case_states.*,
        cases.id as case_id,
        profiles.id as changed_by_profile_id,
        state_codes.state as mapped_state,
        case_states.changed_at < lag(case_states.changed_at) over (
            partition by case_states.legacy_case_id order by case_states.legacy_id
        ) as is_out_of_order,
        to_jsonb(case_states) as original_values
    from case_states
    left join cases on case_states.legacy_case_id = cases.legacy_id
    left join profiles on case_states.legacy_changed_by_id = profiles.legacy_id
    left join state_codes on {{ map_code('case_states.state', 'state_codes') }}
),

checked as (
    select
        *,
        case
            when case_id is null then 'orphan_case'
            when mapped_state is null then 'unknown_state'
        end as reject_reason,
        array_remove(array[
            case when is_out_of_order then 'history_out_of_order' end,
            case
                when legacy_changed_by_id is not null and changed_by_profile_id is null
                    then 'orphan_changed_by'
            end
        ], null) as dq_issues
    from joined
),

final as (
    select
        legacy_id,
        {{ stable_uuid('case_states', 'legacy_id') }} as case_state_id,
        case_id,
        mapped_state as state,
        changed_by_profile_id,
        changed_at,
        note,
        reject_reason,
        dq_issues,
        case when reject_reason is not null then original_values end as original_values,
        now() as verdict_changed_at
    from checked
)

select * from final
