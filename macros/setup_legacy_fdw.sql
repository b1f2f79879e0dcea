{#-
    Make the legacy tables readable in the target database over postgres_fdw, idempotently:
    the foreign server (with a fetch size suited to bulk reads), a user mapping that logs in
    to the legacy server as its read-only role, and one foreign table per declared source,
    re-imported each time so that they follow the legacy columns.

    For the extraction's snapshot (macros/legacy_snapshot.sql), a foreign table of a legacy
    table that a staging model reads incrementally gets one more column, row_version: the
    row's system column xmin, which every INSERT and UPDATE sets anew, whoever writes and
    whatever `modified` says. And legacy.pg_cursors is the legacy server's pg_cursors, which
    lists the cursors of the session that reads it: the creation time of the wrapper's own
    cursor is the legacy server's clock.

    Runs at the start of every dbt invocation (on-run-start) and on its own:
        dbt run-operation setup_legacy_fdw

    Connection settings come from the environment: CUTOVER_LEGACY_HOST, _PORT, _DB, _USER,
    _PASSWORD, and CUTOVER_LEGACY_FDW_HOST / _FDW_PORT where the target server reaches the
    legacy server at another address than this machine does. The password is masked in dbt's
    logs because the runner and `cutover dev env` also export it as DBT_ENV_SECRET_LEGACY_PASSWORD.

    The extension itself needs a superuser: if it is missing and the current role cannot
    create it, this stops with the statement a DBA must run. A foreign server of that name that
    another role owns is a DBA's, with its own user mapping (so that the migration role cannot
    read the legacy password in pg_user_mappings: `cutover dba-script`, section 5): it is used
    as it is.
-#}
{% macro setup_legacy_fdw() %}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set schema = var('legacy_schema') -%}
    {%- set server = var('legacy_server') -%}
    {%- set host = env_var('CUTOVER_LEGACY_FDW_HOST', env_var('CUTOVER_LEGACY_HOST', '127.0.0.1')) -%}
    {%- set port = env_var('CUTOVER_LEGACY_FDW_PORT', env_var('CUTOVER_LEGACY_PORT', '5432')) -%}
    {%- set dbname = env_var('CUTOVER_LEGACY_DB', 'legacy') -%}
    {%- set user = env_var('CUTOVER_LEGACY_USER') -%}
    {%- set password = env_var('CUTOVER_LEGACY_PASSWORD') -%}

    {%- set state = run_query(
        "select
            exists (select 1 from pg_extension where extname = 'postgres_fdw') as has_fdw,
            (select rolsuper from pg_roles where rolname = current_user) as is_superuser"
    ) -%}
    {%- if not state.columns[0].values()[0] -%}
        {%- if state.columns[1].values()[0] -%}
            {%- do run_query('create extension if not exists postgres_fdw') -%}
        {%- else -%}
            {{ exceptions.raise_compiler_error(
                "postgres_fdw is not installed in the target database; a superuser must run: "
                ~ "create extension postgres_fdw; grant usage on foreign data wrapper postgres_fdw to "
                ~ target.user ~ ";") }}
        {%- endif -%}
    {%- endif -%}

    {%- set sources = [] -%}
    {%- for node in graph.sources.values() if node.source_name == 'legacy' -%}
        {%- do sources.append(node.identifier) -%}
    {%- endfor -%}
    {%- set versioned = [] -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and reads_row_versions(node) -%}
        {%- for source_name, table in node.sources if source_name == 'legacy' -%}
            {%- do versioned.append(table) -%}
        {%- endfor -%}
    {%- endfor -%}

    {%- set options = "host " ~ quote_literal(host) ~ ", port " ~ quote_literal(port)
        ~ ", dbname " ~ quote_literal(dbname) ~ ", fetch_size " ~ quote_literal(var('legacy_fetch_size'))
        ~ ", application_name 'cutover-fdw'" -%}
    {%- set sql -%}
        do $fdw$
        begin
            if not exists (select 1 from pg_foreign_server where srvname = {{ quote_literal(server) }}) then
                create server {{ server }} foreign data wrapper postgres_fdw options ({{ options }});
            elsif not exists (
                select 1 from pg_foreign_server
                where srvname = {{ quote_literal(server) }} and srvowner = current_user::regrole
            ) then
                -- a DBA's server and user mapping (cutover dba-script, section 5): left as they are
                return;
            else
                alter server {{ server }} options (
                    set host {{ quote_literal(host) }},
                    set port {{ quote_literal(port) }},
                    set dbname {{ quote_literal(dbname) }},
                    set fetch_size {{ quote_literal(var('legacy_fetch_size')) }}
                );
            end if;
            if not exists (
                select 1 from pg_user_mappings
                where srvname = {{ quote_literal(server) }} and usename = current_user
            ) then
                create user mapping for current_user server {{ server }}
                    options (user {{ quote_literal(user) }}, password {{ quote_literal(password) }});
            else
                alter user mapping for current_user server {{ server }}
                    options (set user {{ quote_literal(user) }}, set password {{ quote_literal(password) }});
            end if;
        end
        $fdw$;
        drop schema if exists {{ schema }} cascade;
        create schema {{ schema }};
        comment on schema {{ schema }} is 'The legacy tables, read over postgres_fdw (read-only role).';
        import foreign schema public limit to ({{ sources | join(', ') }})
            from server {{ server }} into {{ schema }};
        import foreign schema pg_catalog limit to (pg_cursors) from server {{ server }} into {{ schema }};
        {%- for table in versioned | unique | sort %}
        alter foreign table {{ schema }}.{{ table }} add column row_version xid options (column_name 'xmin');
        {%- endfor %}
    {%- endset -%}
    {%- do run_query(sql) -%}
    {%- do run_query('commit') -%}
    {{ log("Legacy tables imported from " ~ host ~ ":" ~ port ~ "/" ~ dbname ~ " into schema " ~ schema
        ~ " (" ~ sources | length ~ " foreign tables).") }}
    {{ return('') }}
{% endmacro %}
