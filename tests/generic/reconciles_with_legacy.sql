{#-
    Rule 1 of the client: nothing is lost silently. Fails with one row when the legacy rows of
    `legacy_table` (as staged by this run) are not exactly the entity's migrated rows plus its
    quarantined rows plus the rows merged into others (counted in `validated`, if given).
-#}
{% test reconciles_with_legacy(model, legacy_table, staged, quarantine, migrated_where='true', validated=none) %}
    with counts as (
        {{ reconciliation_counts(model.name, legacy_table, staged, model, quarantine, migrated_where, validated) }}
    )

    select * from counts
    where unexplained_rows <> 0
{% endtest %}
