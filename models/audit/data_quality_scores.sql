-- A data-quality score from 0 to 100 per entity: the share of its legacy rows (merged
-- duplicates aside) that were migrated with no data-quality issue. Quarantined rows and rows
-- migrated with an issue both lower it. A view, like the other audit relations: it describes the
-- verdicts as they are whenever it is read.
{{ config(materialized='view') }}
{%- set merging = [] %}
{%- for item in entity_registry() if item.get('has_merges') %}
    {%- do merging.append(item.entity) %}
{%- endfor %}

with all_entities as (
    {% for entity in registry_entities() -%}
        select
            '{{ entity }}'::text as entity,
            count(*) as legacy_rows,
            count(*) filter (where reject_reason is not null) as quarantined_rows,
            count(*) filter (
                where reject_reason is null and cardinality(dq_issues) > 0
            ) as rows_with_issues,
            {%- if entity in merging %}
                count(*) filter (where merged_into_legacy_id is not null) as merged_rows
            {%- else %}
                0::bigint as merged_rows
            {%- endif %}
        from {{ ref('int_' ~ entity ~ '__validated') }}
        {% if not loop.last %}union all
        {% endif %}
    {%- endfor %}
),

final as (
    select
        entity,
        legacy_rows,
        quarantined_rows,
        rows_with_issues,
        merged_rows,
        case
            when legacy_rows - merged_rows = 0 then 100.0
            else round(
                100.0 * (legacy_rows - merged_rows - quarantined_rows - rows_with_issues)
                / (legacy_rows - merged_rows),
                1
            )
        end as quality_score
    from all_entities
)

select * from final
