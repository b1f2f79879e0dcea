-- Every legacy jaw record with its verdict: its patient must exist; jaw spellings go through
-- seed jaw_types; teeth must be a JSON array (a jaw record without its teeth means nothing,
-- so invalid JSON is quarantined).
with jaws as (
    select * from {{ ref('stg_legacy__jaw') }}
    -- a delta recomputes only the verdicts that may have changed (macros/change_tracking.sql)
    {{ verdicts_to_recompute({
        'legacy_patient_id': ref('int_patients__validated'),
    }) }}
),

patients as (
    select
        id,
        legacy_id
    from {{ ref('patients') }}
),

jaw_types as (
    select * from {{ ref('jaw_types') }}
),

joined as (
    select
        jaws.*,
        patients.id as patient_id,
        jaw_types.jaw as mapped_jaw,
        util.try_jsonb(jaws.teeth) as teeth_json,
        to_jsonb(jaws) - 'staged_at' - 'legacy_row_version' as original_values
    from jaws
    left join patients on jaws.legacy_patient_id = patients.legacy_id
    left join jaw_types on {{ map_code('jaws.jaw', 'jaw_types') }}
),

checked as (
    select
        *,
        case
            when patient_id is null then 'orphan_patient'
            when mapped_jaw is null then 'unknown_jaw'
            when coalesce(jsonb_typeof(teeth_json), 'none') <> 'array' then 'invalid_teeth_json'
        end as reject_reason,
        array_remove(array[
            {{ legacy_modified_issue('updated_at') }}
        ], null) as dq_issues
    from joined
),

final as (
    select
        legacy_id,
        {{ stable_uuid('jaws', 'legacy_id') }} as jaw_id,
        patient_id,
        mapped_jaw as jaw,
        teeth_json as teeth,
        created_at,
        {{ legacy_modified('updated_at') }} as updated_at,
        reject_reason,
        dq_issues,
        case when reject_reason is not null then original_values end as original_values,
        now() as verdict_changed_at
    from checked
)

select * from final
