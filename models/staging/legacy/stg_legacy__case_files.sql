with source as (
    select
        id,
        case_id,
        file_id
    from {{ source('legacy', 'dispatch_case_files') }}
),

renamed as (
    select
        id as legacy_id,
        case_id as legacy_case_id,
        file_id as legacy_file_id
    from source
)

select * from renamed
