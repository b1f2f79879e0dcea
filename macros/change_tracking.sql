{#-
    Change tracking from the staging tables through the verdicts to the target, so that a delta
    cutover works on the rows that changed, not on every row of every table.

    - Incremental staging tables stamp each row they (re)load with `staged_at`.
    - Each intermediate model keeps its verdicts between runs (materialization incremental,
      strategy `verdicts`). It recomputes every verdict, or, where it declares how changes
      reach it (macro verdicts_to_recompute), only those of the staged rows loaded since its
      last build and of the rows that refer to a parent whose verdict changed or vanished
      since then. It writes only the verdicts that differ from the stored ones, stamped
      `verdict_changed_at`, and logs the ones whose legacy row is gone in
      intermediate.vanished_verdicts.
    - Each target entity upserts and deletes only for the verdicts changed since its own last
      build (macros verdicts_changed_since_last_load, delete_vanished_rows).

    The point in time each model has seen everything up to is its watermark, in
    intermediate.change_watermarks: the start of the transaction of its last build, written
    in that transaction (a failed build leaves the old one). A watermark counts only while
    - the model's definition is the same: the md5 of its compiled SQL (without the part that
      only an incremental run has) and of the seeds it reads; a reviewer's edit to a rule, a
      macro or a mapping seed makes the next build recompute and compare every row;
    - no model it reads changes from was rebuilt from scratch since (first build,
      --full-refresh): a rebuilt table logs no vanished rows, so its readers go through all;
    - no rollback restored the target entity since (runner/rollback.py removes its watermark);
    - a batched load (var cutover_batch) counts from the start of its first batch.
    Var cutover_full_pass: true ignores every watermark: a full comparison of every layer, as
    the first build did (`cutover run --full-pass`).
-#}

{#- The tables of the change tracking, beside the verdicts in schema intermediate. -#}
{% macro change_watermarks() -%}
    {{- return(change_tracking_table('change_watermarks')) -}}
{%- endmacro %}


{% macro vanished_verdicts() -%}
    {{- return(change_tracking_table('vanished_verdicts')) -}}
{%- endmacro %}


{% macro seed_loads() -%}
    {{- return(change_tracking_table('seed_loads')) -}}
{%- endmacro %}


{% macro executions_on_work_tables() -%}
    {{- return(change_tracking_table('executions_on_work_tables')) -}}
{%- endmacro %}


{% macro change_tracking_table(name) -%}
    {{- return(api.Relation.create(
        database=target.database,
        schema=generate_schema_name('intermediate', none),
        identifier=name,
    )) -}}
{%- endmacro %}


{#- on-run-start: the tables of the change tracking. -#}
{% macro create_change_tracking_tables() %}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set sql -%}
        create schema if not exists {{ change_watermarks().schema }};
        create unlogged table if not exists {{ change_watermarks() }} (
            model_name text primary key,
            changed_since timestamptz,
            definition_md5 text,
            rebuilt_at timestamptz,
            batches_since timestamptz
        );
        alter table {{ change_watermarks() }} add column if not exists batches_since timestamptz;
        comment on table {{ change_watermarks() }} is
            'Per model: every change before changed_since has been taken in (macros/change_tracking.sql).';
        create unlogged table if not exists {{ vanished_verdicts() }} (
            model_name text not null,
            legacy_id bigint,
            vanished_at timestamptz not null
        );
        -- the key of a gone row that has no legacy id (stg_legacy__storage_inventory: object key)
        alter table {{ vanished_verdicts() }} add column if not exists legacy_key text;
        alter table {{ vanished_verdicts() }} alter column legacy_id drop not null;
        create index if not exists vanished_verdicts_model_name_vanished_at_idx
            on {{ vanished_verdicts() }} (model_name, vanished_at);
        comment on table {{ vanished_verdicts() }} is
            'Verdicts (and incrementally staged rows) removed because their legacy row is gone, for the models that read them.';
        create unlogged table if not exists {{ seed_loads() }} (
            seed_name text primary key,
            checksum text not null,
            column_types jsonb not null,
            loaded_at timestamptz not null
        );
        comment on table {{ seed_loads() }} is
            'Per mapping seed: the file and column types of its last load (macros/record_seed_load.sql).';
        create unlogged table if not exists {{ executions_on_work_tables() }} (
            execution_id uuid primary key,
            began_at timestamptz not null default now()
        );
        comment on table {{ executions_on_work_tables() }} is
            'The runner''s executions that began on the present (unlogged) staging and verdict tables (runner/execute.py).';
        create unlogged table if not exists {{ legacy_snapshots() }} (
            model_name text primary key,
            legacy_table text not null,
            extracted_at timestamptz,
            legacy_ids bigint [] not null,
            definition_md5 text,
            read_mode text not null,
            recorded_at timestamptz not null
        );
        alter table {{ legacy_snapshots() }} alter column legacy_ids set storage external;
        comment on table {{ legacy_snapshots() }} is
            'Per legacy staging model: the legacy rows its last build read, one snapshot of the legacy server (macros/legacy_snapshot.sql).';
        -- the registry of the incremental staging models before the snapshots recorded their
        -- definition (logged, so a crash of the server left it describing emptied tables)
        drop table if exists {{ generate_schema_name('staging', none) }}.legacy_load_definitions;
        -- Unlogged like the staging and verdict tables whose state they track (dbt_project.yml):
        -- a crash of the server empties them all at once, and the next run starts afresh.
        -- (No-ops on tables that are unlogged already; earlier versions created them logged.)
        alter table {{ change_watermarks() }} set unlogged;
        alter table {{ vanished_verdicts() }} set unlogged;
        alter table {{ seed_loads() }} set unlogged;
    {%- endset -%}
    {%- do run_query(sql) -%}
    {%- do run_query('commit') -%}
    {{ return('') }}
{% endmacro %}


{#- The watermark of `model_name` as an SQL expression: -infinity (take in everything) when it
    has none, its definition changed, or one of `sources` was rebuilt since. Left out of the
    definition's md5 (left_out_of_definition): a full pass records the watermarks a delta then
    keeps (with it in, every model's next delta after a full pass went through all its rows). -#}
{% macro changes_since(model_name, sources=[]) -%}
    {%- call left_out_of_definition() -%}
    {{ changes_since_expression(model_name, sources) }}
    {%- endcall -%}
{%- endmacro %}


{% macro changes_since_expression(model_name, sources=[]) -%}
    {%- if var('cutover_full_pass', false) -%}
        '-infinity'::timestamptz
    {%- else -%}
    coalesce((
        select own.changed_since
        from {{ change_watermarks() }} as own
        where own.model_name = {{ quote_literal(model_name) }}
            {%- if sources %}
            and not exists (
                select 1
                from {{ change_watermarks() }} as source_model
                where source_model.model_name in (
                    {%- for source_model in sources -%}
                        {{ quote_literal(source_model) }}{{ ', ' if not loop.last }}
                    {%- endfor -%}
                )
                    and source_model.rebuilt_at >= own.changed_since
            )
            {%- endif %}
    ), '-infinity'::timestamptz)
    {%- endif -%}
{%- endmacro %}


{#- The watermark changes_since gives, read now, as a timestamptz literal, or none when it is
    -infinity (take in everything). A statement that carries the value instead of the expression
    lets the planner use it: with the expression, `since = '-infinity' or legacy_id in (...)`
    read every row (docs/benchmark.md). -#}
{% macro changes_since_literal(model_name, sources=[]) -%}
    {%- set value = run_query('select (' ~ changes_since(model_name, sources) ~ ')::text').columns[0].values()[0] -%}
    {{- return(none if value == '-infinity' else quote_literal(value) ~ '::timestamptz') -}}
{%- endmacro %}


{#- The keys of `verdicts` changed or vanished since `since`: the legacy ids of an intermediate
    relation (stamped verdict_changed_at) or the `key` of a staging relation of
    models/staging/legacy/compared (stamped staged_at; its gone rows logged by that key). -#}
{% macro verdicts_changed_since(verdicts, since, key='legacy_id') -%}
    {%- set stamp = 'staged_at' if verdicts.identifier.startswith('stg_') else 'verdict_changed_at' %}
    select {{ key }} from {{ verdicts }} where {{ stamp }} >= {{ since }}
    union all
    select {{ 'legacy_id' if key == 'legacy_id' else 'legacy_key' }} from {{ vanished_verdicts() }}
    where model_name = {{ quote_literal(verdicts.identifier) }} and vanished_at >= {{ since }}
{%- endmacro %}


{#-
    The WHERE clause of an intermediate model's staging CTE that limits it to the rows whose
    verdict may have changed since its last build: staged since then, or referring through one
    of `parents` to a row that changed or vanished since then. `parents` maps an expression over
    the staged row to the parent it refers to: a parent's intermediate model (by legacy id), or
    another staging model of models/staging/legacy/compared, as the relation (by legacy id) or
    as (relation, key column). Only for a model whose verdict of a row depends on nothing but
    that staged row, its parents and seeds: it refuses to compile when the model reads a staging
    table or a target entity not declared here, besides the one it judges.
    `together`: a column of the staged row whose rows are judged together (duplicates of an
    order number): a row is recomputed too when another row of its value, or of the value a
    changed or gone row had before, was staged or vanished since then.
-#}
{% macro verdicts_to_recompute(parents={}, together=none) -%}
    {%- set references = [] -%}
    {%- for expression, parent in parents.items() -%}
        {%- if parent.identifier is defined -%}
            {%- do references.append((expression, parent, 'legacy_id')) -%}
        {%- else -%}
            {%- do references.append((expression, parent[0], parent[1])) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set declared = references | map(attribute=1) | map(attribute='identifier') | unique | list -%}
    {%- set staged = [] -%}
    {#- a dbt unit test renders the model without the project's graph: nothing to check there -#}
    {%- if execute and graph.nodes is defined -%}
        {%- set seeds = graph.nodes.values() | selectattr('resource_type', 'equalto', 'seed') | map(attribute='name') | list -%}
        {%- for reference in model.refs -%}
            {%- set name = reference['name'] if reference is mapping else reference[0] -%}
            {%- if name.startswith('stg_') and name not in declared -%}
                {%- do staged.append(name) if name not in staged -%}
            {%- elif not name.startswith('int_') and not name.startswith('stg_') and name not in seeds
                and ('int_' ~ name ~ '__validated') not in declared -%}
                {%- do exceptions.raise_compiler_error(
                    model.name ~ " reads " ~ name ~ ", but verdicts_to_recompute does not say which"
                    ~ " column refers to it: declare it, or recompute every verdict (leave the macro out)."
                ) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if staged | length != 1 -%}
            {%- do exceptions.raise_compiler_error(
                model.name ~ " reads " ~ (staged | join(', ') or 'no staging model')
                ~ ": verdicts_to_recompute needs exactly one."
            ) -%}
        {%- endif -%}
    {%- endif -%}
    {%- set since = changes_since(model.name, declared) %}
    {#- the marker tells strategy `verdicts` (below) that only some verdicts were computed,
        and of which staging model -#}
    /* verdicts of {{ staged[0] if staged else '' }} */
    where staged_at >= {{ since }}
    {%- for expression, relation, key in references %}
        or {{ expression }} in ({{ verdicts_changed_since(relation, since, key) }})
    {%- endfor %}
    {%- if together and staged %}
        {%- set staged_relation = ref(staged[0]) %}
        or {{ together }} in (
            select {{ together }} from {{ staged_relation }} where staged_at >= {{ since }}
            {%- call left_out_of_definition() %}
            {%- if is_incremental() %}
            union all
            select stored.{{ together }} from {{ this }} as stored
            where stored.legacy_id in (
                select legacy_id from {{ staged_relation }} where staged_at >= {{ since }}
                union all
                select legacy_id from {{ vanished_verdicts() }}
                where model_name = {{ quote_literal(staged[0]) }} and vanished_at >= {{ since }}
            )
            {%- endif %}
            {%- endcall %}
        )
    {%- endif %}
{%- endmacro %}


{#- The rows of a target entity's intermediate model to take in: the verdicts changed since the
    entity's watermark and, on an incremental run, the valid verdicts whose row the target
    lacks. A target row goes with an ancestor's through ON DELETE CASCADE (a patient deleted
    in legacy after its orders were moved to another patient: the orders come back, changed,
    and their products with unchanged verdicts did not), or by hand; the completeness proof
    (macros/reconciliation.sql) found such rows missing after a delta. One hash anti join of the
    verdicts with the target's legacy ids. Left out of the definition's md5: which rows a run
    takes in is not a rule of the model. -#}
{% macro verdicts_changed_since_last_load(verdicts) -%}
    {%- call left_out_of_definition() -%}
    {#- a batch of a first load: every verdict is new (a resumed load catches up unbatched,
        runner/batches.py); the anti join cost every batch a scan (docs/benchmark.md) -#}
    {%- if is_incremental() and cutover_batch() is none -%}
    legacy_id in (
        select changed.legacy_id from {{ verdicts }} as changed
        where changed.verdict_changed_at >= {{ changes_since(model.name, [verdicts.identifier]) }}
        union all
        select lacking.legacy_id from {{ verdicts }} as lacking
        where
            lacking.reject_reason is null
            and not exists (select 1 from {{ this }} as migrated where migrated.legacy_id = lacking.legacy_id)
    )
    {%- else -%}
    verdict_changed_at >= {{ changes_since(model.name, [verdicts.identifier]) }}
    {%- endif -%}
    {%- endcall -%}
{%- endmacro %}


{#- What only an incremental run or a batch adds to the compiled SQL is left out of the
    definition's md5. -#}
{% macro left_out_of_definition() -%}
/* run-specific { */{{ caller() }}/* } run-specific */
{%- endmacro %}


{#- SQL: md5 of this model's definition (compiled SQL, the contents of the seeds it reads and,
    when it calls them, the helper functions in schema util as the server has them). -#}
{% macro definition_md5() -%}
    {#- innermost blocks first: a watermark (changes_since) sits inside other run-specific parts -#}
    {%- set code = namespace(text=model.compiled_code or '') -%}
    {%- for _ in range(3) -%}
        {%- set code.text = modules.re.sub('/\\* run-specific \\{ \\*/((?:(?!/\\* run-specific \\{).)*?)/\\* \\} run-specific \\*/', '', code.text, flags=modules.re.S) -%}
    {%- endfor -%}
    {%- set seeds = [] -%}
    {%- for node_id in model.depends_on.nodes if node_id.startswith('seed.') -%}
        {%- do seeds.append(graph.nodes[node_id].name) -%}
    {%- endfor -%}
    md5({{ quote_literal(local_md5(code.text)) }}
    {%- for seed in seeds | sort %}
        || coalesce((select md5(string_agg(seed_row::text, '|' order by seed_row::text)) from {{ ref(seed) }} as seed_row), '')
    {%- endfor %}
    {%- if 'util.' in code.text %}
        /* a repair function that changed (its body, or how it may run) voids the verdicts computed with it */
        || coalesce((
            select md5(string_agg(function.oid::regprocedure::text || function.prosrc || function.proparallel::text, '|' order by function.oid::regprocedure::text))
            from pg_proc as function
            where function.pronamespace = to_regnamespace('util') and function.proname <> 'reconcile'
        ), '')
    {%- endif %})
{%- endmacro %}


{#- Pre-hook of the staging models in models/staging/legacy/compared, and part of
    check_change_watermark: a first build or --full-refresh is recorded as a rebuild, so that the
    models that read this one go through all of it (it logged no vanished rows). -#}
{% macro record_rebuild() -%}
    {%- if execute and not is_incremental() %}
    insert into {{ change_watermarks() }} as recorded (model_name, rebuilt_at)
    values ({{ quote_literal(this.identifier) }}, now())
    on conflict (model_name) do update set changed_since = null, rebuilt_at = excluded.rebuilt_at
    {%- endif %}
{%- endmacro %}


{#- Pre-hook of intermediate and target models: a first build or --full-refresh is recorded as
    a rebuild (record_rebuild); a changed definition voids the watermark. -#}
{% macro check_change_watermark() -%}
    {%- if execute %}
    {%- if not is_incremental() %}
    {{- record_rebuild() }}
    {%- else %}
    update {{ change_watermarks() }}
    set changed_since = null
    where model_name = {{ quote_literal(this.identifier) }}
        and definition_md5 is distinct from {{ definition_md5() }}
    {%- endif %}
    {%- endif %}
{%- endmacro %}


{#- Post-hook of intermediate and target models: everything up to the start of this build's
    transaction is taken in. A batched load (var cutover_batch, legacy id ranges in ascending
    order, the last one open-ended) has taken in everything up to the start of its first batch:
    each batch notes that start, the last one makes it the watermark. -#}
{% macro record_change_watermark() -%}
    {%- if execute %}
    {%- set batch = cutover_batch() %}
    {%- if batch is none or (batch['to'] | int) >= 2147483647 %}
    insert into {{ change_watermarks() }} as recorded (model_name, changed_since, definition_md5)
    values ({{ quote_literal(this.identifier) }}, now(), {{ definition_md5() }})
    on conflict (model_name) do update
    set changed_since = {{ 'excluded.changed_since' if batch is none else 'coalesce(recorded.batches_since, excluded.changed_since)' }},
        definition_md5 = excluded.definition_md5,
        batches_since = null
    {%- else %}
    insert into {{ change_watermarks() }} as recorded (model_name, batches_since)
    values ({{ quote_literal(this.identifier) }}, now())
    on conflict (model_name) do update
    set batches_since = coalesce(recorded.batches_since, excluded.batches_since)
    {%- endif %}
    {%- endif %}
{%- endmacro %}


{#-
    Incremental strategy `verdicts` of the intermediate models. The computed verdicts (all of
    them, or those verdicts_to_recompute chose) replace the stored ones that differ, stamped
    verdict_changed_at; a stored verdict whose legacy row is gone (not computed in a full pass, or no
    longer staged) is removed and logged in intermediate.vanished_verdicts.
    Also the strategy of the staging models in models/staging/legacy/compared: the legacy table
    read whole replaces the staged rows that differ, stamped staged_at, and the staged rows whose
    legacy row is gone are removed and logged the same way.
-#}
{% macro get_incremental_verdicts_sql(arg_dict) %}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set computed = arg_dict['temp_relation'] -%}
    {%- set unique_key = arg_dict['unique_key'] -%}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='name') | list -%}
    {#- the marker verdicts_to_recompute leaves in a model that computes only some verdicts -#}
    {%- set marked = modules.re.search('/\\* verdicts of (stg_[a-z0-9_]+) \\*/', model.compiled_code or '') -%}
    {%- set staged = marked.group(1) if marked else none -%}
    {#- a row gone is logged by its legacy id, or by its key where it has none (the object store's
        listing, by object key) -#}
    {%- set logged_key = 'legacy_id' if 'legacy_id' in keys else keys[0] -%}
    {%- set logged_column = 'legacy_id' if logged_key == 'legacy_id' else 'legacy_key' -%}
    {%- if staged %}
        {#- the staged rows removed since this model's last build, as the staging model logged
            them (macros/incremental_staging.sql); all of them when it was rebuilt since -#}
        {%- set since = changes_since_literal(this.identifier, [staged]) %}
    {%- endif %}
    with vanished as (
        delete from {{ target }} as stored
        {%- if staged %}
        -- only some verdicts were computed, all of them of staged rows: a verdict goes when
        -- its row is no longer staged. (Asking also whether it was computed made the planner,
        -- which cannot know that, take the first test to keep one row and loop over the
        -- computed rows for each: docs/benchmark.md.)
        where not exists (
            select 1 from {{ ref(staged) }} as staged_row
            where staged_row.legacy_id = stored.legacy_id
        )
        {%- if since is not none %}
            and stored.legacy_id in (
                select legacy_id from {{ vanished_verdicts() }}
                where model_name = {{ quote_literal(staged) }} and vanished_at >= {{ since }}
            )
        {%- endif %}
        {%- else %}
        where not exists (
            select 1
            from {{ computed }} as computed
            where {% for key in keys -%}
                computed.{{ key }} = stored.{{ key }}{{ ' and ' if not loop.last }}
            {%- endfor %}
        )
        {%- endif %}
        returning stored.{{ logged_key }}
    )
    insert into {{ vanished_verdicts() }} (model_name, {{ logged_column }}, vanished_at)
    select {{ quote_literal(this.identifier) }}, {{ logged_key }}, now()
    from vanished;

    {{ upsert_differing_rows(target, computed, keys, columns) }}
{% endmacro %}


{#- The rows of `computed` that are new or differ from those of `target` (keys `keys`) in any of
    `columns` but the stamps (verdict_changed_at, staged_at), written to `target`: the
    strategies `verdicts` (above) and `changed_rows` (macros/incremental_staging.sql). -#}
{% macro upsert_differing_rows(target, computed, keys, columns) %}
    {#- the stamp of a written row (a verdict's, or a staged row's) is not compared -#}
    {%- set stamps = columns | select('in', ['verdict_changed_at', 'staged_at']) | list -%}
    {%- set compared = columns | reject('in', keys + stamps) | list -%}
    insert into {{ target }} ({{ columns | join(', ') }})
    select {{ columns | join(', ') }}
    from {{ computed }} as computed
    where not exists (
        select 1
        from {{ target }} as stored
        where {% for key in keys -%}
            stored.{{ key }} = computed.{{ key }} and {% endfor -%}
            (
            {%- for column in compared %}
            stored.{{ column }}{{ ',' if not loop.last }}
            {%- endfor %}
        ) is not distinct from (
            {%- for column in compared %}
            computed.{{ column }}{{ ',' if not loop.last }}
            {%- endfor %}
        )
        {%- for stamp in stamps %}
            -- a row without its stamp (a table that had no such column before) is written again
            and stored.{{ stamp }} is not null
        {%- endfor %}
    )
    on conflict ({{ keys | join(', ') }}) do update set
    {%- for column in columns if column not in keys %}
        {{ column }} = excluded.{{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
{% endmacro %}
