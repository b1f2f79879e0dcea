{{ config(pre_hook="{{ delete_vanished_rows(ref('int_profiles__validated')) }}") }}
-- depends_on: {{ ref('quarantine_profiles') }}

with validated as (
    select * from {{ ref('int_profiles__validated') }}
    where
        reject_reason is null
        and {{ verdicts_changed_since_last_load(ref('int_profiles__validated')) }}
),

final as (
    select
        profile_id as id,
        legacy_id,
        userprofile_legacy_id,
        username,
        email,
        first_name,
        last_name,
        role,
        phone,
        office_id,
        timezone,
        settings,
        avatar_key,
        is_staff,
        is_superuser,
        is_active,
        joined_at,
        last_login_at,
        updated_at
    from validated
)

{{ select_changed_rows('final') }}
