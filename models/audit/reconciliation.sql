-- Where every legacy row of the extraction went, by id, per target entity and legacy table
-- (macros/reconciliation.sql). A view: it describes the target as it is whenever it is read,
-- also after a run that stopped half-way. unexplained_rows must be 0.
{{ config(materialized='view') }}
{%- for item in entity_registry() %}
-- depends_on: {{ ref(item.entity) }}, {{ ref('quarantine_' ~ item.entity) }}, {{ ref(item.staged) }}
{%- endfor %}

select
    entity,
    legacy_table,
    extracted_at,
    legacy_rows,
    migrated_rows,
    quarantined_rows,
    merged_rows,
    missing_rows,
    unexpected_rows,
    unexplained_rows,
    missing_ids,
    unexpected_ids
from util.reconcile()
