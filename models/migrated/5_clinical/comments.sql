{{ config(pre_hook="{{ delete_vanished_rows(ref('int_comments__validated')) }}") }}
-- depends_on: {{ ref('quarantine_comments') }}

with validated as (
    select * from {{ ref('int_comments__validated') }}
    where
        reject_reason is null
        and {{ verdicts_changed_since_last_load(ref('int_comments__validated')) }}
),

final as (
    select
        comment_id as id,
        legacy_id,
        object_type,
        order_id,
        case_id,
        task_id,
        author_profile_id,
        body,
        is_removed,
        created_at
    from validated
)

{{ select_changed_rows('final') }}
