-- Every legacy account (auth_user) joined to its profile (dispatch_userprofile), with its
-- verdict; plus the profile rows whose user does not exist, which can only be quarantined.
-- Emails: trimmed and lower-cased; invalid ones become NULL; among accounts sharing an email
-- (case-insensitively) the most recently active one keeps it, the others get NULL.
with users as (
    select * from {{ ref('stg_legacy__auth_user') }}
),

userprofiles as (
    select * from {{ ref('stg_legacy__userprofile') }}
),

profile_roles as (
    select * from {{ ref('profile_roles') }}
),

offices as (
    select legacy_id from {{ ref('stg_legacy__office') }}
),

joined as (
    select
        users.*,
        userprofiles.legacy_id as userprofile_legacy_id,
        userprofiles.role as legacy_role,
        profile_roles.role,
        userprofiles.phone,
        userprofiles.legacy_office_id,
        offices.legacy_id as existing_office_id,
        userprofiles.timezone,
        userprofiles.settings,
        userprofiles.avatar_key,
        userprofiles.updated_at as profile_updated_at,
        userprofiles.staged_at as profile_staged_at,
        util.try_jsonb(nullif(trim(userprofiles.settings), '')) as settings_json,
        {{ normalize_email('users.email') }} as normalized_email,
        (to_jsonb(users) - 'staged_at')
        || coalesce(
            jsonb_build_object(
                'userprofile', to_jsonb(userprofiles) - 'staged_at' - 'legacy_row_version'
            ),
            '{}'
        )
            as original_values
    from users
    left join userprofiles
        on users.legacy_id = userprofiles.legacy_user_id
    left join profile_roles
        on {{ map_code('userprofiles.role', 'profile_roles') }}
    left join offices
        on userprofiles.legacy_office_id = offices.legacy_id
),

with_email_rank as (
    select
        *,
        {{ is_valid_email('normalized_email') }} as has_valid_email,
        row_number() over (
            partition by case when {{ is_valid_email('normalized_email') }} then normalized_email end
            order by coalesce(last_login_at, joined_at) desc nulls last, legacy_id desc
        ) as email_rank
    from joined
),

checked as (
    select
        *,
        case
            when coalesce(username, '') = '' then 'missing_username'
            when legacy_role is not null and role is null then 'unknown_role'
        end as reject_reason,
        array_remove(array[
            case when userprofile_legacy_id is null then 'missing_userprofile' end,
            case when normalized_email is not null and not has_valid_email then 'invalid_email' end,
            case when has_valid_email and email_rank > 1 then 'duplicate_email' end,
            case
                when nullif(trim(settings), '') is not null and settings_json is null
                    then 'invalid_settings_json'
            end,
            case
                when legacy_office_id is not null and existing_office_id is null then 'orphan_office'
            end,
            case
                when userprofile_legacy_id is not null
                    then {{ legacy_modified_issue('profile_updated_at', 'profile_staged_at') }}
            end
        ], null) as dq_issues
    from with_email_rank
),

accounts as (
    select
        'auth_user'::text as legacy_table,
        legacy_id,
        {{ stable_uuid('profiles', 'legacy_id') }} as profile_id,
        userprofile_legacy_id,
        username,
        case when has_valid_email and email_rank = 1 then normalized_email end as email,
        first_name,
        last_name,
        role,
        phone,
        case
            when existing_office_id is not null then {{ stable_uuid('offices', 'existing_office_id') }}
        end as office_id,
        timezone,
        settings_json as settings,
        avatar_key,
        coalesce(is_staff, false) as is_staff,
        coalesce(is_superuser, false) as is_superuser,
        coalesce(is_active, false) as is_active,
        joined_at,
        last_login_at,
        {{ legacy_modified('profile_updated_at', 'profile_staged_at') }} as updated_at,
        reject_reason,
        dq_issues,
        case when reject_reason is not null then original_values end as original_values
    from checked
),

orphan_userprofiles as (
    select
        'dispatch_userprofile'::text as legacy_table,
        userprofiles.legacy_id,
        null::uuid as profile_id,
        userprofiles.legacy_id as userprofile_legacy_id,
        null::text as username,
        null::text as email,
        null::text as first_name,
        null::text as last_name,
        null::text as role,
        null::text as phone,
        null::uuid as office_id,
        null::text as timezone,
        null::jsonb as settings,
        null::text as avatar_key,
        null::boolean as is_staff,
        null::boolean as is_superuser,
        null::boolean as is_active,
        null::timestamptz as joined_at,
        null::timestamptz as last_login_at,
        null::timestamptz as updated_at,
        'orphan_user' as reject_reason,
        array[]::text[] as dq_issues,
        to_jsonb(userprofiles) - 'staged_at' - 'legacy_row_version' as original_values
    from userprofiles
    where not exists (
        select 1 from users
        where users.legacy_id = userprofiles.legacy_user_id
    )
),

-- A rejected account takes its profile row to the quarantine with it, so that every legacy
-- row of both tables is accounted for.
profiles_of_rejected_accounts as (
    select
        'dispatch_userprofile'::text as legacy_table,
        userprofile_legacy_id as legacy_id,
        profile_id,
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
        updated_at,
        reject_reason,
        dq_issues,
        original_values -> 'userprofile' as original_values
    from accounts
    where reject_reason is not null and userprofile_legacy_id is not null
),

every_row as (
    select * from accounts
    union all
    select * from orphan_userprofiles
    union all
    select * from profiles_of_rejected_accounts
),

final as (
    select
        every_row.*,
        now() as verdict_changed_at
    from every_row
)

select * from final
