-- Every legacy doctor note with its verdict: its doctor and patient must exist.
with doctor_notes as (
    select * from {{ ref('stg_legacy__doctornote') }}
    -- a delta recomputes only the verdicts that may have changed (macros/change_tracking.sql)
    {{ verdicts_to_recompute({
        'legacy_doctor_id': ref('int_doctors__validated'),
        'legacy_patient_id': ref('int_patients__validated'),
    }) }}
),

doctors as (
    select
        id,
        legacy_id
    from {{ ref('doctors') }}
),

patients as (
    select
        id,
        legacy_id
    from {{ ref('patients') }}
),

joined as (
    select
        doctor_notes.*,
        doctors.id as doctor_id,
        patients.id as patient_id,
        to_jsonb(doctor_notes) - 'staged_at' - 'legacy_row_version' as original_values
    from doctor_notes
    left join doctors on doctor_notes.legacy_doctor_id = doctors.legacy_id
    left join patients on doctor_notes.legacy_patient_id = patients.legacy_id
),

checked as (
    select
        *,
        case
            when doctor_id is null then 'orphan_doctor'
            when patient_id is null then 'orphan_patient'
        end as reject_reason,
        array_remove(array[
            {{ legacy_modified_issue('updated_at') }}
        ], null) as dq_issues
    from joined
),

final as (
    select
        legacy_id,
        {{ stable_uuid('doctor_notes', 'legacy_id') }} as doctor_note_id,
        doctor_id,
        patient_id,
        body,
        coalesce(is_private, false) as is_private,
        created_at,
        {{ legacy_modified('updated_at') }} as updated_at,
        reject_reason,
        dq_issues,
        case when reject_reason is not null then original_values end as original_values,
        now() as verdict_changed_at
    from checked
)

select * from final
