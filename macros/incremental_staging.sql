{#-
    Incremental staging of the legacy tables a model reads by row version
    (models/staging/legacy/incremental: the tables with `modified`, whose verdicts are judged
    row by row).

    The first load copies the whole table, with each row's version: legacy_row_version, the
    legacy system column xmin, which every INSERT and UPDATE sets anew (the foreign table's
    column row_version, macros/setup_legacy_fdw.sql). Later runs (a rehearsal after the live
    application has moved on, the final delta) read over the foreign-data wrapper only the rows
    whose version is not the staged one, and the rows not staged: the pre-hook
    take_legacy_snapshot has read the id and version of every legacy row, in the same legacy
    snapshot as the rows read here (macros/legacy_snapshot.sql), and compared them with the
    staged ones. Nothing depends on `modified`: a bulk update or a fix in SQL that leaves it
    alone, a row restored from a backup, an import with an old, a future or a NULL `modified`,
    each gives the row a new version. The ids are sent to the legacy server as one array
    parameter of the query.

    Hard deletes: the staged rows whose id is not in the snapshot are removed afterwards
    (post-hook remove_vanished_staged_rows) and logged in intermediate.vanished_verdicts; a
    first load or --full-refresh is recorded as a rebuild in intermediate.change_watermarks
    (pre-hook record_rebuild, macros/change_tracking.sql), for the intermediate model that reads
    the table.

    The model reads the whole table, and writes only the rows that differ from the staged ones
    (strategy changed_rows), when it has no snapshot recorded (a first load, a crash of the
    target server), in a full pass (var cutover_full_pass: every column of every legacy row
    compared with its staged copy), and when its definition changed: each load records the md5
    of the definition (its SQL and the timestamp rule it applies) with the snapshot, so that a
    reviewer's edit is applied to every row. A changed column list stops the run
    (on_schema_change fail): rebuild that model with `dbt run --full-refresh --select <model>`.
-#}

{% macro staging_definition_md5() -%}
    {{- return(local_md5(model.raw_code ~ legacy_timestamp('modified'))) -}}
{%- endmacro %}


{#- How this build of a staging model reads its legacy table: 'changed' (the rows whose version
    is not the staged one, and the ones not staged) or 'whole: <why>'. -#}
{% macro legacy_read_mode() -%}
    {%- if not execute or not reads_row_versions(model) -%}
        {{- return('whole') -}}
    {%- elif not is_incremental() -%}
        {{- return('whole: first load') -}}
    {%- elif var('cutover_full_pass', false) -%}
        {{- return('whole: full pass') -}}
    {%- endif -%}
    {%- set recorded = run_query(
        "select definition_md5 from " ~ legacy_snapshots() ~ " where model_name = "
        ~ quote_literal(this.identifier)
    ) -%}
    {%- if recorded.rows | length == 0 -%}
        {{- return('whole: no snapshot recorded') -}}
    {%- elif recorded.columns[0].values()[0] != staging_definition_md5() -%}
        {{- return('whole: definition changed') -}}
    {%- endif -%}
    {{- return('changed') -}}
{%- endmacro %}


{#- Part of the pre-hook take_legacy_snapshot of an incremental run: the legacy ids of the rows
    that are new, changed or gone since the staged copy, from one comparison of the snapshot's
    ids and versions with the staged ones (a hash join; dispatch_task at scale 1.0: 0.5 s).
    A staged row removed by hand is new again; a row whose version is not the staged one is
    changed, whatever its content. -#}
{% macro legacy_changes_since_last_load() -%}
    create temporary table legacy_changes on commit drop as
    select
        coalesce(current_rows.id, staged.legacy_id) as id,
        current_rows.id is null as is_vanished
    from (
        select
            legacy_rows.id,
            legacy_rows.row_version
        from legacy_snapshot
        cross join lateral unnest(legacy_snapshot.ids, legacy_snapshot.versions) as legacy_rows (id, row_version)
    ) as current_rows
    full join {{ this }} as staged on current_rows.id = staged.legacy_id
    where
        current_rows.id is null
        or staged.legacy_id is null
        or staged.legacy_row_version is distinct from current_rows.row_version
{%- endmacro %}


{#- ` where id = any(<the ids of the rows new or changed>)` when the model reads the changed rows
    (legacy_read_mode); nothing when it reads the whole table. -#}
{% macro legacy_rows_changed_since_last_load(id='id') -%}
    {%- if legacy_read_mode() == 'changed' %}
    -- one array, which the legacy server receives as a parameter of this query
    where {{ id }} = any(array(select id from legacy_changes where not is_vanished))
    {%- endif -%}
{%- endmacro %}


{#- Post-hook of the models in models/staging/legacy/incremental: drop the staged rows whose
    legacy row was hard-deleted (not in the snapshot) and log them for the intermediate model
    that reads this one, which removes their verdicts without comparing all of its rows with
    all staged rows on every run (docs/benchmark.md). -#}
{% macro remove_vanished_staged_rows() -%}
    {%- if execute and is_incremental() %}
    with vanished as (
        delete from {{ this }} as staged
        where staged.legacy_id in (select id from legacy_changes where is_vanished)
        returning staged.legacy_id
    )

    insert into {{ vanished_verdicts() }} (model_name, legacy_id, vanished_at)
    select {{ quote_literal(this.identifier) }}, legacy_id, now()
    from vanished
    {%- endif %}
{%- endmacro %}


{#-
    Incremental strategy `changed_rows` of the incremental staging models: the rows read that
    are new or differ from the staged ones, in any column but staged_at, are written (stamped
    staged_at, so that their verdicts are recomputed); identical rows are left alone. A delta
    reads only changed rows, so it writes nearly all of them; a full pass reads every row and
    writes the few that differ, which are the changes no row version showed (a staged row
    edited by hand in the target).
-#}
{% macro get_incremental_changed_rows_sql(arg_dict) %}
    {%- set keys = [arg_dict['unique_key']] if arg_dict['unique_key'] is string else arg_dict['unique_key'] -%}
    {{ upsert_differing_rows(arg_dict['target_relation'], arg_dict['temp_relation'], keys, arg_dict['dest_columns'] | map(attribute='name') | list) }}
{% endmacro %}
