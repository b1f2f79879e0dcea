{#-
    dbt-postgres's create_table_as, plus `column_storage` in a model's meta ({column: storage}):
    the table is created from the query WITH NO DATA, the columns get their storage, and then
    the rows are inserted, so that the first load is already stored that way.

    Why: the legacy treatment plans are 363 MB of JSON text (scale 1.0). PostgreSQL compresses
    every value over 2 kB as it writes it (pglz; the embedded server has no lz4): building
    stg_legacy__plan took 7.5 s, uncompressed (`external`) 4.6 s, for 408 MB on disk instead
    of 97 MB; a transient, unlogged copy is better stored that way. (The parsed documents,
    int_treatment_plan_documents, gained nothing measurable: their time is the parse.)
-#}
{% macro postgres__create_table_as(temporary, relation, sql) -%}
    {%- set storage = (config.get('meta') or {}).get('column_storage', {}) -%}
    {%- set contract = config.get('contract') -%}
    {%- if temporary or not storage or (contract and contract.enforced) -%}
        {{ dbt.postgres__create_table_as(temporary, relation, sql) }}
    {%- else -%}
        {{ config.get('sql_header') or '' }}
        create {% if config.get('unlogged', default=false) %}unlogged {% endif %}table {{ relation }} as (
            {{ sql }}
        ) with no data;
        {% for column, kind in storage.items() -%}
        alter table {{ relation }} alter column {{ adapter.quote(column) }} set storage {{ kind }};
        {% endfor -%}
        insert into {{ relation }}
        select * from (
            {{ sql }}
        ) as model_rows;
    {%- endif -%}
{%- endmacro %}
