-- Every migrated file has its object in the store with the same size, or the difference is
-- reported (missing_object, size_mismatch, or an unknown size).
{{ config(severity='error', tags=['business_rule']) }}

with files as (
    select * from {{ ref('files') }}
),

storage_inventory as (
    select * from {{ ref('stg_legacy__storage_inventory') }}
),

validated as (
    select * from {{ ref('int_files__validated') }}
)

select
    files.legacy_id,
    files.object_key,
    files.size_bytes,
    storage_inventory.size_bytes as object_size_bytes
from files
inner join validated on files.legacy_id = validated.legacy_id
left join storage_inventory on files.object_key = storage_inventory.object_key
where
    (storage_inventory.object_key is null or storage_inventory.size_bytes <> files.size_bytes)
    and not validated.dq_issues && array['missing_object', 'size_mismatch', 'negative_size']
    and files.size_bytes is not null
