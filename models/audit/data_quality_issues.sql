-- Values that were dirty but not essential: migrated as NULL (or repaired) and reported here,
-- one row per legacy row and issue. Quarantined and merged rows are not repeated here.
-- A view over the verdicts of the rows the target holds: it describes the target as it is
-- whenever it is read, also after a run that stopped half-way.
{{ config(materialized='view') }}
{%- set legacy_tables = {} %}
{%- for item in entity_registry() if item.entity not in legacy_tables %}
    {%- do legacy_tables.update({item.entity: item.legacy_table}) %}
{%- endfor %}

with all_entities as (
    {% for entity in registry_entities() -%}
        select
            '{{ entity }}'::text as entity,
            {% if entity == 'profiles' -%}
                legacy_table,
            {%- else -%}
                '{{ legacy_tables[entity] }}'::text as legacy_table,
            {%- endif %}
            legacy_id,
            dq_issues
        from {{ ref('int_' ~ entity ~ '__validated') }} as verdicts
        -- most rows have none (at scale 1.0, 18,559 of 641,588 migrated tasks have one)
        where
            reject_reason is null
            and cardinality(dq_issues) > 0
            and exists (
                select 1 from {{ ref(entity) }} as migrated
                where migrated.legacy_id = verdicts.legacy_id
            )
        {% if not loop.last %}union all
        {% endif %}
    {%- endfor %}
),

final as (
    select
        all_entities.entity,
        all_entities.legacy_table,
        all_entities.legacy_id,
        issue.issue_code
    from all_entities
    cross join lateral unnest(all_entities.dq_issues) as issue (issue_code)
)

select * from final
