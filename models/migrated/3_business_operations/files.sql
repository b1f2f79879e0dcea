{{ config(pre_hook="{{ delete_vanished_rows(ref('int_files__validated')) }}") }}
-- depends_on: {{ ref('quarantine_files') }}

with validated as (
    select * from {{ ref('int_files__validated') }}
    where
        reject_reason is null
        and {{ verdicts_changed_since_last_load(ref('int_files__validated')) }}
),

final as (
    select
        file_id as id,
        legacy_id,
        order_id,
        case_id,
        uploaded_by_profile_id,
        object_key,
        original_name,
        mime_type,
        size_bytes,
        md5,
        created_at
    from validated
)

{{ select_changed_rows('final') }}
