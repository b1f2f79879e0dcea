with source as (
    select
        id,
        sender_id,
        recipient_id,
        kind,
        subject,
        body,
        sent_at
    from {{ source('legacy', 'dispatch_communication') }}
),

renamed as (
    select
        id as legacy_id,
        sender_id as legacy_sender_id,
        recipient_id as legacy_recipient_id,
        kind::text as kind,
        subject::text as subject,
        body,
        {{ legacy_timestamp('sent_at') }} as sent_at
    from source
)

select * from renamed
