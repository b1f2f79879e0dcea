{#-
    Post-hook of the staging and intermediate models: the constraints their columns declare in
    the models' yml (`constraints: [{type: not_null}, {type: unique}]` on legacy_id), which dbt
    applies only to a model with an enforced contract, are made part of the table: NOT NULL on
    the column, a unique index on it. A row that breaks one fails the build that writes it,
    naming the column, where a not_null or unique test ran as a node of its own after the
    build (one test node costs the runner about 0.1 s whatever the table: 70 such tests, a
    third of a delta's). Each build asserts them again: a table rebuilt whole gets them anew,
    an incremental one that lacks one (dropped by hand) gets it back; present, they cost one
    catalog look-up.
-#}
{% macro enforce_column_constraints() -%}
    {%- if execute %}
    {%- set not_null, unique = [], [] %}
    {%- for column in model.columns.values() %}
        {%- for constraint in column.constraints or [] %}
            {%- if constraint.type == 'not_null' %}{% do not_null.append(column.name) %}{% endif %}
            {%- if constraint.type == 'unique' %}{% do unique.append(column.name) %}{% endif %}
        {%- endfor %}
    {%- endfor %}
    {%- if not_null or unique %}
    do $enforce_column_constraints$
    begin
    {%- for column in not_null %}
        if exists (
            select 1 from pg_attribute
            where attrelid = {{ quote_literal(this.render()) }}::regclass
                and attname = {{ quote_literal(column) }} and not attnotnull
        ) then
            alter table {{ this }} alter column {{ adapter.quote(column) }} set not null;
        end if;
    {%- endfor %}
    {%- for column in unique %}
        if not exists (
            select 1
            from pg_index as existing
            join pg_attribute as attribute
                on attribute.attrelid = existing.indrelid and attribute.attnum = existing.indkey[0]
            where existing.indrelid = {{ quote_literal(this.render()) }}::regclass
                and existing.indisunique and existing.indnkeyatts = 1 and existing.indpred is null
                and attribute.attname = {{ quote_literal(column) }}
        ) then
            create unique index on {{ this }} ({{ adapter.quote(column) }});
        end if;
    {%- endfor %}
    end
    $enforce_column_constraints$
    {%- endif %}
    {%- endif %}
{%- endmacro %}
