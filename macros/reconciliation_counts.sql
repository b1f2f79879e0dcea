{#-
    One row of the reconciliation of one (entity, legacy table) pair: the legacy rows as this
    run read them (the staging snapshot), and where each one went: migrated, quarantined or
    merged into another row. unexplained_rows = legacy - migrated - quarantined - merged,
    which the client's first rule wants to be exactly 0.

    migrated_where restricts the migrated rows counted (e.g. profiles that have a userprofile);
    validated, for an entity whose rows can be merged, is its intermediate model, where merged
    rows carry merged_into_legacy_id.
-#}
{% macro reconciliation_counts(entity, legacy_table, staged, migrated, quarantine, migrated_where='true', validated=none) -%}
    select
        '{{ entity }}'::text as entity,
        '{{ legacy_table }}'::text as legacy_table,
        legacy.row_count as legacy_rows,
        migrated.row_count as migrated_rows,
        quarantined.row_count as quarantined_rows,
        merged.row_count as merged_rows,
        legacy.row_count - migrated.row_count - quarantined.row_count - merged.row_count
            as unexplained_rows
    from (select count(*) as row_count from {{ staged }}) as legacy
    cross join (select count(*) as row_count from {{ migrated }} where {{ migrated_where }}) as migrated
    cross join (
        select count(*) as row_count from {{ quarantine }}
        where legacy_table = '{{ legacy_table }}'
    ) as quarantined
    cross join (
        {%- if validated is none %}
        select 0::bigint as row_count
        {%- else %}
        select count(*) as row_count from {{ validated }} where merged_into_legacy_id is not null
        {%- endif %}
    ) as merged
{%- endmacro %}
