{{ config(pre_hook="{{ delete_vanished_rows(ref('int_messages__validated')) }}") }}
-- depends_on: {{ ref('quarantine_messages') }}

with validated as (
    select * from {{ ref('int_messages__validated') }}
    where
        reject_reason is null
        and {{ verdicts_changed_since_last_load(ref('int_messages__validated')) }}
),

final as (
    select
        message_id as id,
        legacy_id,
        patient_id,
        doctor_id,
        author_profile_id,
        channel,
        subject,
        body,
        read_at,
        created_at
    from validated
)

{{ select_changed_rows('final') }}
