{{ config(pre_hook="{{ delete_vanished_rows(ref('int_communications__validated')) }}") }}
-- depends_on: {{ ref('quarantine_communications') }}

with validated as (
    select * from {{ ref('int_communications__validated') }}
    where
        reject_reason is null
        and {{ verdicts_changed_since_last_load(ref('int_communications__validated')) }}
),

final as (
    select
        communication_id as id,
        legacy_id,
        sender_profile_id,
        recipient_profile_id,
        kind,
        subject,
        body,
        sent_at
    from validated
)

{{ select_changed_rows('final') }}
