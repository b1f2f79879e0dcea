-- Every legacy patient with its verdict. Birth dates in either legacy format are parsed;
-- impossible ones become NULL (invalid_birth_date); sex spellings go through seed sexes;
-- emails through normalize_email (invalid ones NULL).
with patients as (
    select * from {{ ref('stg_legacy__patient') }}
    -- a delta recomputes only the verdicts that may have changed (macros/change_tracking.sql)
    {{ verdicts_to_recompute({
        'legacy_doctor_id': ref('int_doctors__validated'),
        'legacy_office_id': ref('int_offices__validated'),
    }) }}
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

sexes as (
    select * from {{ ref('sexes') }}
),

joined as (
    select
        patients.*,
        doctors.id as doctor_id,
        offices.id as office_id,
        sexes.sex as mapped_sex,
        {{ parse_legacy_date('patients.birth_date') }} as parsed_birth_date,
        {{ normalize_email('patients.email') }} as normalized_email,
        to_jsonb(patients) - 'staged_at' - 'legacy_row_version' as original_values
    from patients
    left join doctors on patients.legacy_doctor_id = doctors.legacy_id
    left join offices on patients.legacy_office_id = offices.legacy_id
    left join sexes on {{ map_code('patients.sex', 'sexes') }}
),

checked as (
    select
        *,
        case
            when doctor_id is null then 'orphan_doctor'
            when office_id is null then 'orphan_office'
        end as reject_reason,
        array_remove(array[
            case
                when nullif(birth_date, '') is not null and parsed_birth_date is null
                    then 'invalid_birth_date'
            end,
            case
                when normalized_email is not null and not {{ is_valid_email('normalized_email') }}
                    then 'invalid_email'
            end,
            case when nullif(trim(sex), '') is not null and mapped_sex is null then 'unknown_sex' end,
            {{ legacy_modified_issue('updated_at') }}
        ], null) as dq_issues
    from joined
),

final as (
    select
        legacy_id,
        {{ stable_uuid('patients', 'legacy_id') }} as patient_id,
        doctor_id,
        office_id,
        first_name,
        last_name,
        case when 'invalid_email' = any(dq_issues) then null else normalized_email end as email,
        phone,
        parsed_birth_date as birth_date,
        mapped_sex as sex,
        chart_number,
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
