{#-
    Rule 1 of the client: nothing is lost silently. Fails with one row when the legacy ids of
    `legacy_table` that the extraction read are not exactly the ids migrated into the entity,
    quarantined or merged into another row, each once (util.reconcile, macros/reconciliation.sql):
    the row names how many are missing or unexpected, and the first few ids.
-#}
{% test reconciles_with_legacy(model, legacy_table) %}
    select * from util.reconcile({{ quote_literal(model.identifier) }})
    where legacy_table = {{ quote_literal(legacy_table) }} and unexplained_rows is distinct from 0
{% endtest %}
