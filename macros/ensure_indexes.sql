{#- The indexes a model's config declares that its existing table lacks, created before an
    incremental run writes to it: dbt creates a model's indexes only when it builds the table,
    so an index added to the project later would otherwise reach a rehearsal's target only with
    a --full-refresh. An index counts as present when one on the same columns, in the same
    order and equally unique, exists. One DO block, sent with the build statement.
    Not during the batches of a first load (var cutover_batch): the runner has dropped the
    secondary indexes on purpose and rebuilds them after the last batch (runner/deferral.py). -#}
{% macro ensure_indexes(relation) -%}
    {%- set indexes = config.get('indexes', default=[]) or [] -%}
    {%- if indexes and cutover_batch() is none %}
    do $ensure_indexes$
    begin
    {%- for index_dict in indexes %}
        {%- set index_config = adapter.parse_index(index_dict) %}
        if not exists (
            select 1
            from pg_index as existing
            where existing.indrelid = {{ quote_literal(relation.render()) }}::regclass
                and existing.indisunique = {{ index_config.unique | lower }}
                and existing.indpred is null
                and (
                    select string_agg(attribute.attname, ',' order by key.position)
                    from unnest(existing.indkey::int2[]) with ordinality as key (attnum, position)
                    join pg_attribute as attribute
                        on attribute.attrelid = existing.indrelid and attribute.attnum = key.attnum
                ) = {{ quote_literal(index_config.columns | join(',')) }}
        ) then
            execute {{ quote_literal(get_create_index_sql(relation, index_dict) | trim) }};
        end if;
    {%- endfor %}
    end
    $ensure_indexes$;
    {%- endif %}
{%- endmacro %}
