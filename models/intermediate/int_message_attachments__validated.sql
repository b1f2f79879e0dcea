-- Every legacy message attachment with its verdict: its message must exist; object keys are
-- normalised (normalize_file_key); a negative size becomes NULL (negative_size).
with attachments as (
    select * from {{ ref('stg_legacy__record_attachment') }}
    -- a delta recomputes only the verdicts that may have changed (macros/change_tracking.sql)
    {{ verdicts_to_recompute({
        'legacy_message_id': ref('int_messages__validated'),
    }) }}
),

messages as (
    select
        id,
        legacy_id
    from {{ ref('messages') }}
),

joined as (
    select
        attachments.*,
        messages.id as message_id,
        {{ normalize_file_key('attachments.path') }} as object_key,
        to_jsonb(attachments) - 'staged_at' as original_values
    from attachments
    left join messages on attachments.legacy_message_id = messages.legacy_id
),

checked as (
    select
        *,
        case
            when message_id is null then 'orphan_message'
            when coalesce(object_key, '') = '' then 'missing_path'
        end as reject_reason,
        array_remove(array[
            case when size_bytes < 0 then 'negative_size' end
        ], null) as dq_issues
    from joined
),

final as (
    select
        legacy_id,
        {{ stable_uuid('message_attachments', 'legacy_id') }} as message_attachment_id,
        message_id,
        object_key,
        filename,
        case when size_bytes >= 0 then size_bytes end as size_bytes,
        created_at,
        reject_reason,
        dq_issues,
        case when reject_reason is not null then original_values end as original_values,
        now() as verdict_changed_at
    from checked
)

select * from final
