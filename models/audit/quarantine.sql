-- Every quarantined legacy row of every entity, with its reason code and original values.
{% for entity in registry_entities() -%}
    select
        entity,
        legacy_table,
        legacy_id,
        reject_reason,
        original_values,
        quarantined_at
    from {{ ref('quarantine_' ~ entity) }}
    {% if not loop.last %}union all
    {% endif %}
{%- endfor %}
