with source as (
    select
        id,
        name,
        order_id,
        technician_id,
        status,
        milestones,
        started_at,
        finished_at,
        created,
        modified,
        row_version
    from {{ source('legacy', 'dispatch_project') }}
    {{ legacy_rows_changed_since_last_load() }}
),

renamed as (
    select
        id as legacy_id,
        trim(name) as project_name,
        order_id as legacy_order_id,
        technician_id as legacy_technician_id,
        status::text as status,
        milestones,
        {{ legacy_timestamp('started_at') }} as started_at,
        {{ legacy_timestamp('finished_at') }} as finished_at,
        {{ legacy_timestamp('created') }} as created_at,
        {{ legacy_timestamp('modified') }} as updated_at,
        row_version as legacy_row_version
    from source
)

-- staged_at: when this row was last written, because it is new or differs from the staged
-- one; the verdicts recompute the rows staged since their last build (macros/change_tracking.sql).
select
    renamed.*,
    now() as staged_at
from renamed
