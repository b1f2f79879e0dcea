{{ config(pre_hook="{{ delete_vanished_rows(ref('int_message_attachments__validated')) }}") }}
-- depends_on: {{ ref('quarantine_message_attachments') }}

with validated as (
    select * from {{ ref('int_message_attachments__validated') }}
    where
        reject_reason is null
        and {{ verdicts_changed_since_last_load(ref('int_message_attachments__validated')) }}
),

final as (
    select
        message_attachment_id as id,
        legacy_id,
        message_id,
        object_key,
        filename,
        size_bytes,
        created_at
    from validated
)

{{ select_changed_rows('final') }}
