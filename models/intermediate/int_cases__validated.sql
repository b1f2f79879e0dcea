-- Every legacy case with its verdict: its patient and doctor must exist; state spellings go
-- through seed case_state_codes (unknown states are quarantined); soft-deleted cases are kept.
with cases as (
    select * from {{ ref('stg_legacy__case') }}
    -- a delta recomputes only the verdicts that may have changed (macros/change_tracking.sql)
    {{ verdicts_to_recompute({
        'legacy_patient_id': ref('int_patients__validated'),
        'legacy_doctor_id': ref('int_doctors__validated'),
    }) }}
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

case_state_codes as (
    select * from {{ ref('case_state_codes') }}
),

joined as (
    select
        cases.*,
        patients.id as patient_id,
        doctors.id as doctor_id,
        case_state_codes.state as mapped_state,
        to_jsonb(cases) - 'staged_at' - 'legacy_row_version' as original_values
    from cases
    left join patients on cases.legacy_patient_id = patients.legacy_id
    left join doctors on cases.legacy_doctor_id = doctors.legacy_id
    left join case_state_codes on {{ map_code('cases.state', 'case_state_codes') }}
),

checked as (
    select
        *,
        case
            when patient_id is null then 'orphan_patient'
            when doctor_id is null then 'orphan_doctor'
            when mapped_state is null then 'unknown_state'
        end as reject_reason,
        array_remove(array[
            case when closed_at < opened_at then 'closed_before_opened' end,
            {{ legacy_modified_issue('updated_at') }}
        ], null) as dq_issues
    from joined
),

final as (
    select
        legacy_id,
        {{ stable_uuid('cases', 'legacy_id') }} as case_id,
        patient_id,
        doctor_id,
        title,
        mapped_state as state,
        opened_at,
        closed_at,
        coalesce(is_deleted, false) as is_deleted,
        created_at,
        {{ legacy_modified('updated_at') }} as updated_at,
        reject_reason,
        dq_issues,
        case when reject_reason is not null then original_values end as original_values,
        now() as verdict_changed_at
    from checked
)

select * from final
