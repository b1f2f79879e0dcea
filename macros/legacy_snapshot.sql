{#-
    The extraction's snapshot: the ids of the legacy rows each staging model read, recorded so
    that every legacy row can be accounted for by id (macros/reconciliation.sql), and, for a
    model that reads incrementally, the rows to read (macros/incremental_staging.sql).

    A staging model's build is one transaction on the target, and postgres_fdw reads the legacy
    server in one REPEATABLE READ transaction for as long as the local one lasts: what the
    pre-hook, the model and its post-hooks read of legacy is one snapshot of it.

    - Pre-hook take_legacy_snapshot: the legacy server's clock (the creation time of the
      wrapper's own cursor, legacy.pg_cursors) and the id of every legacy row, read as one
      array on the legacy side; with each row's version (row_version, the system column xmin)
      for a model that reads incrementally.
    - Post-hook record_legacy_snapshot: the ids in intermediate.legacy_snapshots, one row per
      staging model, in the build's transaction: a failed build leaves the previous snapshot,
      which still describes what is staged.

    The arrays are kept uncompressed (storage external): compressing the 762,000 ids and
    versions of dispatch_task took half a second per copy. The temporary table goes with the
    build's transaction; the registry is unlogged like the staging tables, so a crash of the
    target server empties both at once and the next run reads every legacy table whole.
-#}

{% macro legacy_snapshots() -%}
    {{- return(change_tracking_table('legacy_snapshots')) -}}
{%- endmacro %}


{#- Whether a model reads its legacy table by row version (models/staging/legacy/incremental). -#}
{% macro reads_row_versions(node) -%}
    {{- return(node.resource_type == 'model' and node.fqn[1:4] == ['staging', 'legacy', 'incremental']) -}}
{%- endmacro %}


{#- The legacy table a staging model reads, when it stages one row per legacy id. -#}
{% macro snapshot_source() -%}
    {%- if not execute or 'legacy_id' not in model.columns -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- for source_name, table in model.sources if source_name == 'legacy' -%}
        {{- return(source(source_name, table)) -}}
    {%- endfor -%}
    {{- return(none) -}}
{%- endmacro %}


{% macro take_legacy_snapshot() -%}
    {%- set legacy = snapshot_source() %}
    {%- if legacy is not none %}
    {%- set versioned = reads_row_versions(model) %}
    create temporary table legacy_snapshot (
        extracted_at timestamptz,
        ids bigint [],
        versions xid []
    ) on commit drop;
    alter table legacy_snapshot alter column ids set storage external, alter column versions set storage external;
    -- array_agg: postgres_fdw sends the aggregate to the legacy server, which returns the ids
    -- as one array instead of one row each (docs/benchmark.md)
    insert into legacy_snapshot
    select
        clock.extracted_at,
        legacy_rows.ids,
        legacy_rows.versions
    from (select min(creation_time) as extracted_at from {{ legacy.schema }}.pg_cursors) as clock
    cross join (
        select
            coalesce(array_agg(id), '{}')::bigint [] as ids,
            {% if versioned -%}
                coalesce(array_agg(row_version), '{}') as versions
            {%- else -%}
                null::xid [] as versions
            {%- endif %}
        from {{ legacy }}
    ) as legacy_rows;
    {%- if versioned and is_incremental() %}
    {{ legacy_changes_since_last_load() }}
    {%- endif %}
    {%- endif %}
{%- endmacro %}


{#- Post-hook of every legacy staging model (after the rows gone were removed from one that reads
    incrementally: remove_vanished_staged_rows). -#}
{% macro record_legacy_snapshot() -%}
    {%- set legacy = snapshot_source() %}
    {%- if legacy is not none %}
    insert into {{ legacy_snapshots() }} as recorded (
        model_name, legacy_table, extracted_at, legacy_ids, definition_md5, read_mode, recorded_at
    )
    select
        {{ quote_literal(this.identifier) }},
        {{ quote_literal(legacy.identifier) }},
        extracted_at,
        ids,
        {{ quote_literal(staging_definition_md5()) if reads_row_versions(model) else 'null' }},
        {{ quote_literal(legacy_read_mode()) }},
        now()
    from legacy_snapshot
    on conflict (model_name) do update set
        legacy_table = excluded.legacy_table,
        extracted_at = excluded.extracted_at,
        legacy_ids = excluded.legacy_ids,
        definition_md5 = excluded.definition_md5,
        read_mode = excluded.read_mode,
        recorded_at = excluded.recorded_at
    {%- endif %}
{%- endmacro %}
