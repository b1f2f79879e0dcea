-- Values that were dirty but not essential: migrated as NULL (or repaired) and reported here,
-- one row per legacy row and issue. Quarantined and merged rows are not repeated here.
-- Kept between runs like the quarantine tables (a logged table, so that the report survives the
-- unlogged verdicts): a build takes in the issues of the verdicts changed since its last one,
-- after the pre-hook forget_changed_issues removed those of every verdict that changed or
-- vanished since then. Rebuilt from every verdict, it read the 2 million of scale 1.0 in
-- every delta (3 to 4 s of a delta's final validation).
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=["{{ check_change_watermark() }}", "{{ forget_changed_issues() }}"],
    post_hook="{{ record_change_watermark() }}",
    indexes=[{'columns': ['legacy_id', 'entity']}],
) }}
{%- set legacy_tables = {} %}
{%- for item in entity_registry() if item.entity not in legacy_tables %}
    {%- do legacy_tables.update({item.entity: item.legacy_table}) %}
{%- endfor %}

with all_entities as (
    {% for entity in registry_entities() -%}
        {%- set validated = ref('int_' ~ entity ~ '__validated') %}
        {%- set since = changes_since(model.name, [validated.identifier]) %}
        {%- set with_issues -%}
        select
            '{{ entity }}'::text as entity,
            {% if entity == 'profiles' -%}
                legacy_table,
            {%- else -%}
                '{{ legacy_tables[entity] }}'::text as legacy_table,
            {%- endif %}
            legacy_id,
            dq_issues
        from {{ validated }}
        -- most rows have none (at scale 1.0, 18,559 of 641,588 migrated tasks have one)
        where reject_reason is null and cardinality(dq_issues) > 0
        {%- endset %}
        -- every verdict's issues on a first build or after the verdicts were rebuilt ...
        {{ with_issues }}
            and {{ since }} = '-infinity'
        union all
        -- ... then those of the verdicts forget_changed_issues removed (a branch each, read by
        -- the index on verdict_changed_at)
        {{ with_issues }}
            and {{ since }} <> '-infinity'
            and legacy_id in ({{ verdicts_changed_since(validated, since) }})
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
