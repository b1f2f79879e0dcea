{#-
    dbt's persist_docs for PostgreSQL in one statement: the relation's and the documented
    columns' comments are compared with the catalogue on the server and written only where
    they differ, for the columns that exist.

    Why: dbt's own version looks the table's columns up through an adapter call (a new macro
    context, about 15 ms of the runner's CPU on two cores, plus its query) and then runs two
    COMMENT statements, on every model of every run, although the comments of a table that an
    incremental run only added rows to are already there. 119 models per run.

    A documented column that the table lacks is skipped silently, where dbt warns;
    `cutover docs --check` is where documentation and columns are compared.
-#}
{% macro postgres__persist_docs(relation, model, for_relation, for_columns) -%}
    {%- set description = model.description
        if for_relation and config.persist_relation_docs() and model.description else none -%}
    {%- set columns = {} -%}
    {%- if for_columns and config.persist_column_docs() -%}
        {%- for name, column in model.columns.items() if column.description -%}
            {%- do columns.update({(name if column.quote else name | lower): column.description}) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if description is none and not columns -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set relation_type = 'materialized view' if relation.type == 'materialized_view' else relation.type -%}
    {% call statement('persist_docs') %}
    do $persist_docs$
    declare
        documented regclass := {{ quote_literal(relation) }}::regclass;
        wanted text := {{ quote_literal(description) if description is not none else 'null' }};
        column_docs jsonb := {{ quote_literal(tojson(columns)) }};
        col record;
    begin
        if wanted is not null and obj_description(documented, 'pg_class') is distinct from wanted then
            execute format('comment on {{ relation_type }} %s is %L', documented, wanted);
        end if;
        for col in
            select attribute.attname, column_docs ->> attribute.attname as description
            from pg_attribute as attribute
            where
                attribute.attrelid = documented
                and attribute.attnum > 0
                and not attribute.attisdropped
                and column_docs ? attribute.attname
                and col_description(documented, attribute.attnum)
                is distinct from column_docs ->> attribute.attname
        loop
            execute format('comment on column %s.%I is %L', documented, col.attname, col.description);
        end loop;
    end
    $persist_docs$
    {% endcall %}
{%- endmacro %}
