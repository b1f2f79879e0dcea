-- The object store's listing has no id: its rows are keyed, compared and logged as gone by
-- object key.
{{ config(
    unique_key='object_key',
    indexes=[{'columns': ['object_key'], 'unique': true}],
) }}

with source as (
    select
        key,
        size_bytes,
        md5
    from {{ source('legacy', 'storage_inventory') }}
),

renamed as (
    select
        key::text as object_key,
        size_bytes,
        md5::text as md5
    from source
)

-- staged_at: when this row was last written, because it is new or differs from the staged
-- one; the verdicts recompute the rows staged since their last build (macros/change_tracking.sql).
select
    renamed.*,
    now() as staged_at
from renamed
