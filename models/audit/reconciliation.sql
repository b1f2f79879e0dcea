-- Where every legacy row went, per target entity and legacy table. unexplained_rows must be 0.
{% for item in entity_registry() -%}
{{ reconciliation_counts(
    item.entity,
    item.legacy_table,
    ref(item.staged),
    ref(item.entity),
    ref('quarantine_' ~ item.entity),
    item.get('migrated_where', 'true'),
    ref('int_' ~ item.entity ~ '__validated') if item.get('has_merges') else none
) }}
    {% if not loop.last %}union all
    {% endif %}
{%- endfor %}
