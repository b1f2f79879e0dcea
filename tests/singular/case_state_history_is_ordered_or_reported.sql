-- A case's state history is ordered in time: each change is dated no earlier than the change
-- before it (by legacy id), or it is reported as history_out_of_order.
{{ config(severity='error', tags=['business_rule']) }}

with case_states as (
    select * from {{ ref('case_states') }}
),

validated as (
    select * from {{ ref('int_case_states__validated') }}
),

ordered as (
    select
        legacy_id,
        case_id,
        changed_at,
        lag(changed_at) over (partition by case_id order by legacy_id) as previous_changed_at
    from case_states
)

select
    ordered.legacy_id,
    ordered.changed_at,
    ordered.previous_changed_at
from ordered
inner join validated on ordered.legacy_id = validated.legacy_id
where
    ordered.changed_at < ordered.previous_changed_at
    and not 'history_out_of_order' = any(validated.dq_issues)
