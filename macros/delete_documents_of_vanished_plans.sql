{#- Post-hook of int_treatment_plan_documents: a plan hard-deleted in legacy (gone from
    staging) takes its parsed document with it. -#}
{% macro delete_documents_of_vanished_plans() -%}
    {%- if is_incremental() %}
    delete from {{ this }} as parsed
    where not exists (
        select 1 from {{ ref('stg_legacy__plan') }} as plans
        where plans.legacy_id = parsed.legacy_id
    )
    {%- endif %}
{%- endmacro %}
