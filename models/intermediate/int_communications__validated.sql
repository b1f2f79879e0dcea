-- Every legacy communication with its verdict: its sender must exist; a recipient that is set
-- but does not exist becomes NULL (orphan_recipient); kinds are lower-cased.
with communications as (
    select * from {{ ref('stg_legacy__communication') }}
),

profiles as (
    select
        id,
        legacy_id
    from {{ ref('profiles') }}
),

joined as (
    select
        communications.*,
        senders.id as sender_profile_id,
        recipients.id as recipient_profile_id,
        to_jsonb(communications) as original_values
    from communications
    left join profiles as senders on communications.legacy_sender_id = senders.legacy_id
    left join profiles as recipients on communications.legacy_recipient_id = recipients.legacy_id
),

checked as (
    select
        *,
        case
            when sender_profile_id is null then 'orphan_sender'
        end as reject_reason,
        array_remove(array[
            case
                when legacy_recipient_id is not null and recipient_profile_id is null
                    then 'orphan_recipient'
            end
        ], null) as dq_issues
    from joined
),

final as (
    select
        legacy_id,
        {{ stable_uuid('communications', 'legacy_id') }} as communication_id,
        sender_profile_id,
        recipient_profile_id,
        lower(trim(kind)) as kind,
        subject,
        body,
        sent_at,
        reject_reason,
        dq_issues,
        case when reject_reason is not null then original_values end as original_values,
        now() as verdict_changed_at
    from checked
)

select * from final
