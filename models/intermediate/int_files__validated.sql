-- Every legacy file with its verdict and its object-store check. A file belongs to an order,
-- a case, or both (two_owners, reported); with neither it is quarantined (no_owner), and an
-- owner that does not exist quarantines it too. Object keys are normalised
-- (normalize_file_key); negative sizes become NULL (negative_size). Against the object store's
-- listing: missing_object and size_mismatch are reported.
with files as (
    select * from {{ ref('stg_legacy__file') }}
    -- a delta recomputes only the verdicts that may have changed (macros/change_tracking.sql):
    -- an uploader account or a stored object that changed or went counts like a parent
    {{ verdicts_to_recompute({
        'legacy_order_id': ref('int_orders__validated'),
        'legacy_case_id': ref('int_cases__validated'),
        'legacy_uploaded_by_id': ref('stg_legacy__auth_user'),
        normalize_file_key('path'): (ref('stg_legacy__storage_inventory'), 'object_key'),
    }) }}
),

orders as (
    select
        id,
        legacy_id
    from {{ ref('orders') }}
),

cases as (
    select
        id,
        legacy_id
    from {{ ref('cases') }}
),

-- The specification makes files independent of profiles: the uploader is checked against the
-- legacy accounts as read, and its id derived like profiles.id, without a foreign key.
accounts as (
    select legacy_id from {{ ref('stg_legacy__auth_user') }}
),

storage_inventory as (
    select * from {{ ref('stg_legacy__storage_inventory') }}
),

joined as (
    select
        files.*,
        {{ normalize_file_key('files.path') }} as object_key,
        orders.id as order_id,
        cases.id as case_id,
        case
            when accounts.legacy_id is not null then {{ stable_uuid('profiles', 'accounts.legacy_id') }}
        end as uploaded_by_profile_id,
        storage_inventory.object_key is not null as has_object,
        storage_inventory.size_bytes as object_size_bytes,
        to_jsonb(files) - 'staged_at' as original_values
    from files
    left join orders on files.legacy_order_id = orders.legacy_id
    left join cases on files.legacy_case_id = cases.legacy_id
    left join accounts on files.legacy_uploaded_by_id = accounts.legacy_id
    left join storage_inventory
        on {{ normalize_file_key('files.path') }} = storage_inventory.object_key
),

checked as (
    select
        *,
        case
            when legacy_order_id is null and legacy_case_id is null then 'no_owner'
            when legacy_order_id is not null and order_id is null then 'orphan_order'
            when legacy_case_id is not null and case_id is null then 'orphan_case'
            when coalesce(object_key, '') = '' then 'missing_path'
        end as reject_reason,
        array_remove(array[
            case when legacy_order_id is not null and legacy_case_id is not null then 'two_owners' end,
            case when size_bytes < 0 then 'negative_size' end,
            case when not has_object then 'missing_object' end,
            case
                when has_object and size_bytes >= 0 and object_size_bytes <> size_bytes
                    then 'size_mismatch'
            end,
            case
                when legacy_uploaded_by_id is not null and uploaded_by_profile_id is null
                    then 'orphan_uploaded_by'
            end
        ], null) as dq_issues
    from joined
),

final as (
    select
        legacy_id,
        {{ stable_uuid('files', 'legacy_id') }} as file_id,
        order_id,
        case_id,
        uploaded_by_profile_id,
        object_key,
        original_name,
        mime_type,
        case when size_bytes >= 0 then size_bytes end as size_bytes,
        md5,
        created_at,
        reject_reason,
        dq_issues,
        case when reject_reason is not null then original_values end as original_values,
        now() as verdict_changed_at
    from checked
)

select * from final
