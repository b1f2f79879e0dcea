{{ config(pre_hook="{{ delete_vanished_rows(ref('int_case_states__validated')) }}") }}
-- depends_on: {{ ref('quarantine_case_states') }}

with validated as (
    select * from {{ ref('int_case_states__validated') }}
    where
        reject_reason is null
        and {{ verdicts_changed_since_last_load(ref('int_case_states__validated')) }}
),

final as (
    select
        case_state_id as id,
        legacy_id,
        case_id,
        state,
        changed_by_profile_id,
        changed_at,
        note
    from validated
)

{{ select_changed_rows('final') }}
