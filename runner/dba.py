"""What only a DBA may set up in the target database, as one reviewable script.

The migration role owns what it builds (the app, staging and audit models), so it must not own
the trail that records what it did: an owner can drop a trigger, alter a table or drop the
schema. The audit schema `cutover_audit` therefore belongs to a role that cannot log in,
`cutover_audit_owner`, and the migration role gets exactly what the runner needs:

- SELECT and INSERT on every audit table (the trail, validation results, batch plans and
  batch checkpoints are written once and never changed);
- UPDATE on the four status tables (executions, phases, entity_runs, snapshots), whose rows
  move from running to completed;
- no DELETE, TRUNCATE, ALTER or DROP anywhere in the schema.

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
APPEND_ONLY = ("audit_entries", "validation_results", "batch_checkpoints", "batch_plans")
STATUS_TABLES = ("executions", "phases", "entity_runs", "snapshots")
AUDIT_TABLES = STATUS_TABLES + APPEND_ONLY


def dba_script(migration_role: str) -> str:
    """The statements, in order, for a superuser connected to the target database. Idempotent:
    a second run changes nothing, and a trail the migration role created earlier is handed over
    to the audit owner with its rows."""
    role = sql.Identifier(migration_role).as_string(None)
    tables = ", ".join(f"{AUDIT_SCHEMA}.{t}" for t in STATUS_TABLES)
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
-- A trail the migration role created itself (before this script existed) changes hands.
do $$
declare
    object record;
begin
    alter schema {AUDIT_SCHEMA} owner to {AUDIT_OWNER};
    for object in
        select c.oid::regclass as name from pg_class as c
        where c.relnamespace = '{AUDIT_SCHEMA}'::regnamespace and c.relkind = 'r'
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
set local role {AUDIT_OWNER};
{audit_ddl}
reset role;

-- 3. What the migration role may do with the trail: read and append; update status rows only.
revoke all on all tables in schema {AUDIT_SCHEMA} from {role};
grant usage on schema {AUDIT_SCHEMA} to {role};
grant select, insert on all tables in schema {AUDIT_SCHEMA} to {role};
grant update on {tables} to {role};
grant usage on all sequences in schema {AUDIT_SCHEMA} to {role};

commit;
"""


def provision_target(superuser_conninfo: str, migration_role: str) -> None:
    """Run the DBA script as the given superuser (dev servers and the test suite)."""
    with psycopg.connect(superuser_conninfo, autocommit=True) as conn:
        conn.execute(dba_script(migration_role))


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
        needed = ("select", "insert", "update") if table in STATUS_TABLES else ("select", "insert")
        # has_table_privilege is true when any one of a comma-separated list is held: ask each
        held = conn.execute(
            "select case when to_regclass(%s) is null then null else array["
            + ", ".join("has_table_privilege(current_user, %s, %s)" for _ in needed)
            + "] end",
            (name, *[value for privilege in needed for value in (name, privilege)]),
        ).fetchone()[0]
        if held is None:
            missing.append(f"the table {name}")
        elif not all(held):
            missing.append(f"{', '.join(needed)} on {name}")
    return missing
