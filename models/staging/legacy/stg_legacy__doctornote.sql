{{ config(
    materialized='incremental',
    unique_key='legacy_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    indexes=[{'columns': ['legacy_id'], 'unique': true}],
    post_hook="{{ finish_incremental_staging(source('legacy', 'dispatch_doctornote')) }}",
) }}

with source as (
    select
        id,
        doctor_id,
        patient_id,
        body,
        is_private,
        created,
        modified
    from {{ source('legacy', 'dispatch_doctornote') }}
    {{ legacy_rows_changed_since_last_load() }}
),

renamed as (
    select
        id as legacy_id,
        doctor_id as legacy_doctor_id,
        patient_id as legacy_patient_id,
        body,
        is_private,
        {{ legacy_timestamp('created') }} as created_at,
        {{ legacy_timestamp('modified') }} as updated_at
    from source
)

select * from renamed
