{#-
    The rejected rows of one entity, as its quarantine relation holds them: the legacy table
    and key, the reason code, and the original legacy values as jsonb (the staging row, which
    never carries secrets such as password hashes). `legacy_table` names the one legacy table
    the entity reads; pass none where the validated model has a legacy_table column.
-#}
{% macro quarantine_rows(validated, entity, legacy_table) -%}
    select
        '{{ entity }}'::text as entity,
        {% if legacy_table is none -%}
            legacy_table,
        {%- else -%}
            '{{ legacy_table }}'::text as legacy_table,
        {%- endif %}
        legacy_id,
        reject_reason,
        original_values,
        now() as quarantined_at
    from {{ validated }}
    where reject_reason is not null
{%- endmacro %}
