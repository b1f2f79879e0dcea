with source as (
    select
        id,
        case_id,
        state,
        changed_by_id,
        changed_at,
        note
    from {{ source('legacy', 'dispatch_casestate') }}
),

renamed as (
    select
        id as legacy_id,
        case_id as legacy_case_id,
        state::text as state,
        changed_by_id as legacy_changed_by_id,
        {{ legacy_timestamp('changed_at') }} as changed_at,
        note
    from source
)

select * from renamed
