"""What only a DBA may set up in the target database, as one reviewable script.

The migration role owns what it builds (the app, staging and audit models), so it must not own
the trail that records what it did: an owner can drop a trigger, alter a table or drop the
schema. The audit schema `cutover_audit` therefore belongs to a role that cannot log in,
`cutover_audit_owner`, and the migration role gets exactly what the runner needs:

- SELECT and INSERT on every audit table (the trail, validation results, batch plans and
  batch checkpoints are written once and never changed);
- UPDATE of the status columns only (STATUS_COLUMNS) of the four status tables, whose rows move
  from running to completed: never an execution's start, profile, settings or selection, nor
  what a before-image holds (snapshots.snapshot_table, was_empty, row_count: rollback relies
  on them), only when it was restored;
- no DELETE, TRUNCATE, ALTER or DROP anywhere in the schema.

The before-images (schema `cutover_snapshots`) belong to the audit owner too. The migration role
makes each copy (CREATE on the schema) and hands it over in the same transaction as its record
(cutover_audit.seal_before_image, a SECURITY DEFINER function of the audit owner, which is made a
member of the migration role for that): from then on the migration role may read the copy, not
alter or drop it. Only cutover_audit.drop_before_image drops one, and never one of the latest
execution that took before-images (the setting keep_before_images cannot go below 1); it writes
each drop to the trail.

Where the legacy password lives: the migration role creates the foreign server and its user
mapping (macros/setup_legacy_fdw.sql), and a role sees the options of its own mapping in
pg_user_mappings, the legacy reader's password among them. The script says, in its last
section, how a DBA keeps the password from the migration role.

`cutover dba-script` prints the script for a DBA to read and run with psql; `cutover dev up` and
the test suite run the same text as their superuser. The runner checks the result before every
run and stops with one sentence when something is missing.
"""

from __future__ import annotations

from importlib import resources

import psycopg
from psycopg import sql

AUDIT_OWNER = "cutover_audit_owner"
AUDIT_SCHEMA = "cutover_audit"
SNAPSHOT_SCHEMA = "cutover_snapshots"
APPEND_ONLY = ("audit_entries", "validation_results", "batch_checkpoints", "batch_plans", "outcomes")
# What the runner changes as an execution goes on; every other column is written once.
STATUS_COLUMNS = {
    "executions": (
        "status",
        "current_phase",
        "ended_at",
        "total_records_processed",
        "success_rate",
        "message",
        "runner_pid",
    ),
    "phases": (
        "status",
        "started_at",
        "ended_at",
        "records_processed",
        "records_successful",
        "records_failed",
    ),
    "entity_runs": (
        "status",
        "started_at",
        "ended_at",
        "expected_records",
        "migrated_records",
        "quarantined_records",
        "merged_records",
        "rows_written",
        "seconds",
        "rows_per_second",
        "data_quality",
    ),
    "snapshots": ("restored_at",),
}
STATUS_TABLES = tuple(STATUS_COLUMNS)
AUDIT_TABLES = STATUS_TABLES + APPEND_ONLY
DEFINER_FUNCTIONS = ("seal_before_image(text)", "drop_before_image(text)")


# Long: the DBA's script is mostly SQL text, read best in one piece.
def dba_script(migration_role: str) -> str:
    """The statements, in order, for a superuser connected to the target database. Idempotent:
    a second run changes nothing, and a trail the migration role created earlier is handed over
    to the audit owner with its rows."""
    role = sql.Identifier(migration_role).as_string(None)
    status_grants = "\n".join(
        f"grant update ({', '.join(columns)}) on {AUDIT_SCHEMA}.{table} to {role};"
        for table, columns in STATUS_COLUMNS.items()
    )
    functions = "\n".join(
        f"revoke all on function {AUDIT_SCHEMA}.{f} from public;\n"
        f"grant execute on function {AUDIT_SCHEMA}.{f} to {role};"
        for f in DEFINER_FUNCTIONS
    )
    audit_ddl = resources.files("runner").joinpath("audit.sql").read_text()
    return f"""\
-- Target database set-up for the cutover: run as a superuser, connected to the target database.
begin;

-- 1. The foreign-data wrapper the models read the legacy database through.
create extension if not exists postgres_fdw;
grant usage on foreign data wrapper postgres_fdw to {role};

-- 2. The audit trail, owned by a role that cannot log in.
do $$
begin
    if not exists (select from pg_roles where rolname = '{AUDIT_OWNER}') then
        create role {AUDIT_OWNER} nologin;
    end if;
end
$$;
create schema if not exists {AUDIT_SCHEMA} authorization {AUDIT_OWNER};
create schema if not exists {SNAPSHOT_SCHEMA} authorization {AUDIT_OWNER};
-- A trail or before-images the migration role created itself (before this script existed, or
-- before this version of it) change hands.
do $$
declare
    object record;
begin
    alter schema {AUDIT_SCHEMA} owner to {AUDIT_OWNER};
    alter schema {SNAPSHOT_SCHEMA} owner to {AUDIT_OWNER};
    for object in
        select c.oid::regclass as name from pg_class as c
        where c.relnamespace in ('{AUDIT_SCHEMA}'::regnamespace, '{SNAPSHOT_SCHEMA}'::regnamespace)
            and c.relkind = 'r'
    loop
        execute format('alter table %s owner to {AUDIT_OWNER}', object.name);
    end loop;
    for object in
        select p.oid::regprocedure as name from pg_proc as p
        where p.pronamespace = '{AUDIT_SCHEMA}'::regnamespace
    loop
        execute format('alter function %s owner to {AUDIT_OWNER}', object.name);
    end loop;
end
$$;
-- The audit owner takes over each before-image the migration role copies (seal_before_image):
-- an owner's rights over the copy come to it through this membership. It cannot log in.
grant {role} to {AUDIT_OWNER};
set local role {AUDIT_OWNER};
{audit_ddl}
reset role;

-- 3. What the migration role may do with the trail: read and append; update status columns only.
revoke all on all tables in schema {AUDIT_SCHEMA} from {role};
grant usage on schema {AUDIT_SCHEMA} to {role};
grant select, insert on all tables in schema {AUDIT_SCHEMA} to {role};
{status_grants}
grant usage on all sequences in schema {AUDIT_SCHEMA} to {role};
{functions}

-- 4. The before-images: the migration role makes copies and reads them; it neither alters nor
-- drops one once sealed. The definitions a first load defers (runner/deferral.py) live here too.
revoke all on all tables in schema {SNAPSHOT_SCHEMA} from {role};
grant usage, create on schema {SNAPSHOT_SCHEMA} to {role};
grant select on all tables in schema {SNAPSHOT_SCHEMA} to {role};
grant insert, update, delete on {SNAPSHOT_SCHEMA}.deferred_definitions to {role};

commit;

-- 5. The legacy password. The migration role creates the foreign server `legacy_server` and a user
-- mapping for itself holding the legacy reader's name and password; pg_user_mappings shows a
-- role the options of its own mapping (and a superuser every mapping's), so the migration role
-- can read that password. To keep it from the migration role, a DBA creates the server and a
-- mapping FOR PUBLIC, owned by another role, and grants the migration role only USAGE on the
-- server: umoptions then reads as null for it (the runner leaves a server it does not own as
-- it is and adds no mapping). For example, as a superuser:
--   create server legacy_server foreign data wrapper postgres_fdw
--       options (host 'legacy.example', port '5432', dbname 'legacy', fetch_size '10000');
--   create user mapping for public server legacy_server options (user 'legacy_reader', password '...');
--   grant usage on foreign server legacy_server to {role};
-- Or no password in the catalogue at all: a mapping with password_required 'false' (set by a
-- superuser) and the password in the target server's own ~/.pgpass, readable by its OS user only.
"""


def provision_target(superuser_conninfo: str, migration_role: str) -> None:
    """Run the DBA script as the given superuser (dev servers and the test suite)."""
    with psycopg.connect(superuser_conninfo, autocommit=True) as conn:
        conn.execute(dba_script(migration_role))


# Long: one short check per provision of dba_script, in the script's order.
def missing_provisions(conn: psycopg.Connection) -> list[str]:
    """What the DBA script would still have to do, as phrases; empty when the target is ready.
    Asked as the migration role."""
    missing: list[str] = []
    ext = conn.execute("select 1 from pg_extension where extname = 'postgres_fdw'").fetchone()
    if ext is None:
        missing.append("the postgres_fdw extension (create extension postgres_fdw)")
    else:
        usable = conn.execute(
            "select has_foreign_data_wrapper_privilege(current_user, 'postgres_fdw', 'usage')"
        ).fetchone()[0]
        if not usable:
            missing.append("usage on the postgres_fdw wrapper for the migration role")
    owner = conn.execute(
        "select pg_get_userbyid(nspowner), current_user from pg_namespace where nspname = %s",
        (AUDIT_SCHEMA,),
    ).fetchone()
    if owner is None:
        missing.append(f"the audit schema {AUDIT_SCHEMA}")
        return missing
    if owner[0] == owner[1]:
        missing.append(
            f"an owner of {AUDIT_SCHEMA} other than the migration role, which could rewrite its trail"
        )
    for table in AUDIT_TABLES:
        name = f"{AUDIT_SCHEMA}.{table}"
        # has_table_privilege is true when any one of a comma-separated list is held: ask each
        held = conn.execute(
            "select case when to_regclass(%s) is null then null "
            "else array[has_table_privilege(current_user, %s, 'select'), "
            "has_table_privilege(current_user, %s, 'insert')] end",
            (name, name, name),
        ).fetchone()[0]
        if held is None:
            missing.append(f"the table {name}")
        elif not all(held):
            missing.append(f"select, insert on {name}")
        elif table in STATUS_COLUMNS:
            columns = conn.execute(
                "select array_agg(c) from unnest(%s::text[]) as c "
                "where not has_column_privilege(current_user, %s, c, 'update')",
                (list(STATUS_COLUMNS[table]), name),
            ).fetchone()[0]
            if columns:
                missing.append(f"update ({', '.join(columns)}) on {name}")
    snapshots = conn.execute(
        "select pg_get_userbyid(nspowner) <> current_user, "
        "has_schema_privilege(current_user, nspname, 'create') "
        "from pg_namespace where nspname = %s",
        (SNAPSHOT_SCHEMA,),
    ).fetchone()
    if snapshots is None or not all(snapshots):
        missing.append(
            f"the schema {SNAPSHOT_SCHEMA} of the before-images, owned by {AUDIT_OWNER}, "
            "with create on it for the migration role"
        )
    for function in DEFINER_FUNCTIONS:
        name = f"{AUDIT_SCHEMA}.{function}"
        usable = conn.execute(
            "select to_regprocedure(%s) is not null "
            "and has_function_privilege(current_user, to_regprocedure(%s), 'execute')",
            (name, name),
        ).fetchone()[0]
        if not usable:
            missing.append(f"execute on the function {name}")
    return missing
