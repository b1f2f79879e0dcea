with source as (
    select
        id,
        case_id,
        record_id
    from {{ source('legacy', 'dispatch_case_messages') }}
),

renamed as (
    select
        id as legacy_id,
        case_id as legacy_case_id,
        record_id as legacy_message_id
    from source
)

select * from renamed
