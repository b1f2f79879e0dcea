with source as (
    select
        id,
        order_id,
        patient_id,
        kind,
        status,
        assignee_id,
        due_date,
        completed_at,
        notes,
        created,
        modified,
        row_version
    from {{ source('legacy', 'dispatch_task') }}
    {{ legacy_rows_changed_since_last_load() }}
),

renamed as (
    select
        id as legacy_id,
        order_id as legacy_order_id,
        patient_id as legacy_patient_id,
        trim(kind) as kind,
        status::text as status,
        assignee_id as legacy_assignee_id,
        due_date,
        {{ legacy_timestamp('completed_at') }} as completed_at,
        notes,
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
