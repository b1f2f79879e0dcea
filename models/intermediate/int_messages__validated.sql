-- Every legacy message (dispatch_record) with its verdict: its patient and author must exist;
-- channel spellings go through seed message_channels (unknown channels are quarantined); a
-- doctor that does not exist becomes NULL (orphan_doctor).
with messages as (
    select * from {{ ref('stg_legacy__record') }}
    -- a delta recomputes only the verdicts that may have changed (macros/change_tracking.sql)
    {{ verdicts_to_recompute({
        'legacy_patient_id': ref('int_patients__validated'),
        'legacy_doctor_id': ref('int_doctors__validated'),
        'legacy_author_id': ref('int_profiles__validated'),
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

profiles as (
    select
        id,
        legacy_id
    from {{ ref('profiles') }}
),

message_channels as (
    select * from {{ ref('message_channels') }}
),

joined as (
    select
        messages.*,
        patients.id as patient_id,
        doctors.id as doctor_id,
        profiles.id as author_profile_id,
        message_channels.channel as mapped_channel,
        to_jsonb(messages) - 'staged_at' as original_values
    from messages
    left join patients on messages.legacy_patient_id = patients.legacy_id
    left join doctors on messages.legacy_doctor_id = doctors.legacy_id
    left join profiles on messages.legacy_author_id = profiles.legacy_id
    left join message_channels on {{ map_code('messages.channel', 'message_channels') }}
),

checked as (
    select
        *,
        case
            when patient_id is null then 'orphan_patient'
            when author_profile_id is null then 'orphan_author'
            when mapped_channel is null then 'unknown_channel'
        end as reject_reason,
        array_remove(array[
            case when legacy_doctor_id is not null and doctor_id is null then 'orphan_doctor' end
        ], null) as dq_issues
    from joined
),

final as (
    select
        legacy_id,
        {{ stable_uuid('messages', 'legacy_id') }} as message_id,
        patient_id,
        doctor_id,
        author_profile_id,
        mapped_channel as channel,
        subject,
        body,
        read_at,
        created_at,
        reject_reason,
        dq_issues,
        case when reject_reason is not null then original_values end as original_values,
        now() as verdict_changed_at
    from checked
)

select * from final
