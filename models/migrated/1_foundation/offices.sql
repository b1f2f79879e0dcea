{{ config(pre_hook="{{ delete_vanished_rows(ref('int_offices__validated')) }}") }}
-- The quarantine is written before the entity, so a rejected row is never only in memory.
-- depends_on: {{ ref('quarantine_offices') }}

with validated as (
    select * from {{ ref('int_offices__validated') }}
    where
        reject_reason is null
        and {{ verdicts_changed_since_last_load(ref('int_offices__validated')) }}
),

final as (
    select
        office_id as id,
        legacy_id,
        office_name as name,
        address_line1,
        address_line2,
        city,
        state,
        postal_code,
        country_code,
        phone,
        email,
        is_active,
        created_at,
        updated_at
    from validated
)

{{ select_changed_rows('final') }}
