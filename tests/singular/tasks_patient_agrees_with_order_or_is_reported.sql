-- A task's patient is its order's patient, or the difference is reported as the data-quality
-- issue patient_disagrees_with_order. Returns the tasks that break this.
{{ config(severity='error', tags=['business_rule']) }}

with tasks as (
    select * from {{ ref('tasks') }}
),

orders as (
    select * from {{ ref('orders') }}
),

validated as (
    select * from {{ ref('int_tasks__validated') }}
)

select
    tasks.legacy_id,
    tasks.patient_id,
    orders.patient_id as order_patient_id
from tasks
inner join orders on tasks.order_id = orders.id
inner join validated on tasks.legacy_id = validated.legacy_id
where
    tasks.patient_id <> orders.patient_id
    and not 'patient_disagrees_with_order' = any(validated.dq_issues)
