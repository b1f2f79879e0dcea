{{ config(pre_hook="{{ delete_vanished_rows(ref('int_treatment_plans__validated')) }}") }}
-- depends_on: {{ ref('quarantine_treatment_plans') }}

with validated as (
    select * from {{ ref('int_treatment_plans__validated') }}
    where
        reject_reason is null
        and {{ verdicts_changed_since_last_load(ref('int_treatment_plans__validated')) }}
),

documents as (
    select
        legacy_id,
        plan,
        data_md5
    from {{ ref('int_treatment_plan_documents') }}
),

final as (
    select
        validated.treatment_plan_id as id,
        validated.legacy_id,
        validated.patient_id,
        validated.order_id,
        validated.version,
        validated.is_approved,
        validated.approved_at,
        documents.plan,
        validated.created_at,
        validated.updated_at,
        documents.data_md5 as plan_md5
    from validated
    inner join documents on validated.legacy_id = documents.legacy_id
)

{{ select_changed_rows('final', hash_instead={'plan': 'plan_md5'}) }}
