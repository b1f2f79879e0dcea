{#-
    Post-hook of the staging and intermediate models: the constraints their columns declare in
    the models' yml (`constraints: [{type: not_null}]` on legacy_id), which dbt applies only to
    a model with an enforced contract, are made part of the table. A row that breaks one fails
    the build that writes it, naming the column, where a not_null test ran as a node of its own
    after the build (one test node costs the runner about 0.1 s whatever the table). Each build
    asserts them again: a table rebuilt whole gets them anew, an incremental one that lacks one
    (dropped by hand) gets it back; present, they cost one catalog look-up. Uniqueness is the
    models' unique index on legacy_id (config `indexes`, dbt_project.yml).
-#}
{% macro enforce_column_constraints() -%}
    {%- if execute %}
    {%- set not_null = [] %}
    {%- for column in model.columns.values() %}
        {%- for constraint in column.constraints or [] %}
            {%- if constraint.type == 'not_null' %}{% do not_null.append(column.name) %}{% endif %}
        {%- endfor %}
    {%- endfor %}
    {%- if not_null %}
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
    end
    $enforce_column_constraints$
    {%- endif %}
    {%- endif %}
{%- endmacro %}
