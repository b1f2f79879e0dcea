{#-
    Incremental staging of a legacy table that has a `modified` column (set on every save).

    The first load copies the whole table. Later runs (a rehearsal after the live application
    has moved on, the final delta) read over the foreign-data wrapper only the rows saved since
    the last load, with a safety margin (var legacy_change_lookback, default one day: a
    transaction that saved a row before the last load but committed after it, clock skew
    between application servers, the repeated hour of a DST fall-back), plus every row whose
    `modified` is NULL. The condition is a literal, so postgres_fdw sends it to the legacy
    server: a delta reads a few thousand rows instead of the table.

    Hard deletes: rows whose id is gone from the legacy table are removed afterwards; that
    reads only the legacy ids (one integer per row), in the same remote transaction and so the
    same legacy snapshot as the changed rows. The ids removed are logged in
    intermediate.vanished_verdicts, and a first load or --full-refresh is recorded as a rebuild
    in intermediate.change_watermarks (pre-hook record_rebuild, macros/change_tracking.sql), for
    the intermediate model that reads the table.

    A staging model that changes (its SQL, or the timestamp rule it applies) must not leave
    rows staged by its old definition behind: each load records the md5 of the definition in
    staging.legacy_load_definitions, and a run that finds a different one reads the whole
    table again, replacing every row. A changed column list stops the run (on_schema_change
    fail): rebuild that model with `dbt run --full-refresh --select <model>`.
-#}

{% macro staging_definition_md5() -%}
    {{- return(local_md5(model.raw_code ~ legacy_timestamp('modified') ~ var('legacy_change_lookback'))) -}}
{%- endmacro %}


{% macro staging_definition_unchanged() -%}
    {%- if not execute -%}
        {{- return(false) -}}
    {%- endif -%}
    {%- set registry = adapter.get_relation(this.database, this.schema, 'legacy_load_definitions') -%}
    {%- if registry is none -%}
        {{- return(false) -}}
    {%- endif -%}
    {%- set recorded = run_query(
        "select definition_md5 from " ~ registry ~ " where model_name = " ~ quote_literal(this.identifier)
    ) -%}
    {{- return(recorded.rows | length == 1 and recorded.columns[0].values()[0] == staging_definition_md5()) -}}
{%- endmacro %}


{#- ` where <modified> >= <watermark> or <modified> is null` on an incremental run of an
    unchanged definition; nothing on a first load or when the definition changed. -#}
{% macro legacy_rows_changed_since_last_load(modified='modified') -%}
    {%- if is_incremental() and staging_definition_unchanged() -%}
        {%- set query -%}
            select to_char(
                max(updated_at) at time zone '{{ var("legacy_timezone") }}'
                - interval '{{ var("legacy_change_lookback") }}',
                'YYYY-MM-DD HH24:MI:SS.US'
            )
            from {{ this }}
        {%- endset -%}
        {%- set watermark = run_query(query).columns[0].values()[0] -%}
        {%- if watermark is not none %}
    where {{ modified }} >= timestamp '{{ watermark }}' or {{ modified }} is null
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{#- Post-hook of every model in models/staging/legacy/incremental (dbt_project.yml): drop the
    staged rows whose legacy row was hard-deleted, and record the definition this load applied.
    The legacy table is the one source the model reads. -#}
{% macro finish_incremental_staging() -%}
    {%- if not execute -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set legacy = source(model.sources[0][0], model.sources[0][1]) %}
    {%- if is_incremental() %}
    -- materialized: joined directly, a DELETE reads whole legacy rows (for its row marks).
    -- array_agg: postgres_fdw sends the aggregate to the legacy server, which returns the ids
    -- as one array instead of one row each (dispatch_task at 1.0: 293 ms instead of 622 ms).
    -- The staged rows removed are logged like vanished verdicts, for the intermediate model
    -- that reads this one: it removes their verdicts without comparing all of its rows with
    -- all staged rows (tasks at scale 1.0: 1.1 s per run).
    with legacy_ids as materialized (
        select unnest(ids) as id from (select array_agg(id) as ids from {{ legacy }}) as legacy_rows
    ),

    vanished as (
        delete from {{ this }} as staged
        where not exists (
            select 1 from legacy_ids where legacy_ids.id = staged.legacy_id
        )
        returning staged.legacy_id
    )

    insert into {{ vanished_verdicts() }} (model_name, legacy_id, vanished_at)
    select {{ quote_literal(this.identifier) }}, legacy_id, now()
    from vanished;
    {%- endif %}
    -- staging models finish in parallel: one creates the registry, the others wait and see it
    select pg_advisory_xact_lock(hashtext('cutover: staging registry'));
    create table if not exists {{ this.schema }}.legacy_load_definitions (
        model_name text primary key,
        definition_md5 text not null,
        loaded_at timestamptz not null
    );
    insert into {{ this.schema }}.legacy_load_definitions as recorded
    values ({{ quote_literal(this.identifier) }}, '{{ staging_definition_md5() }}', now())
    on conflict (model_name) do update
    set definition_md5 = excluded.definition_md5, loaded_at = excluded.loaded_at
{%- endmacro %}
