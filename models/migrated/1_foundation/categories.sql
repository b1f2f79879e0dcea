{{ config(pre_hook="{{ delete_vanished_rows(ref('int_categories__validated')) }}") }}
-- depends_on: {{ ref('quarantine_categories') }}

with validated as (
    select * from {{ ref('int_categories__validated') }}
    where
        reject_reason is null
        and {{ verdicts_changed_since_last_load(ref('int_categories__validated')) }}
),

final as (
    select
        category_id as id,
        legacy_id,
        category_name as name,
        slug,
        parent_category_id,
        sort_order,
        is_active
    from validated
)

{{ select_changed_rows('final') }}
