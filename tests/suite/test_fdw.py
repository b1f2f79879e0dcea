"""The foreign-data wrapper: created by a dbt macro, idempotent, read-only, no password hashes."""

from __future__ import annotations

import psycopg
import pytest
from support import query

from cutover_dev.legacy.tables import TABLES
from runner.config import target_endpoint

LEGACY_TABLES = sorted([t.name for t in TABLES] + ["storage_inventory"])


SETUP = ["run-operation", "setup_legacy_fdw"]


@pytest.fixture(scope="module")
def imported(generated_legacy, dbt_project):
    for _ in range(2):  # idempotent: a second run replaces what the first made
        result = dbt_project.invoke(SETUP)
        assert result.success, result.error
    return target_endpoint()


def test_every_legacy_table_is_imported_as_a_foreign_table(imported):
    rows = query(
        imported,
        "select foreign_table_name from information_schema.foreign_tables "
        "where foreign_table_schema = 'legacy' order by 1",
    )
    # and the legacy server's pg_cursors, whose wrapper cursor tells the legacy clock
    assert [r[0] for r in rows] == sorted([*LEGACY_TABLES, "pg_cursors"])


def test_a_row_version_moves_on_every_update_whatever_modified_says(imported, generated_legacy):
    """The tables read incrementally carry row_version (the legacy xmin): an update that leaves
    `modified` alone, as a bulk update or a fix in SQL does, still gives the row a new one."""
    before = query(imported, "select row_version::text, modified from legacy.dispatch_task where id = 5")[0]
    query(generated_legacy, "update dispatch_task set notes = 'fixed in SQL' where id = 5")
    after = query(imported, "select row_version::text, modified from legacy.dispatch_task where id = 5")[0]
    assert after[0] != before[0] and after[1] == before[1]
    clock = query(imported, "select min(creation_time) - now() from legacy.pg_cursors")[0][0]
    assert abs(clock.total_seconds()) < 60


def test_foreign_tables_read_the_legacy_rows(imported, generated_legacy):
    for table in ("dispatch_task", "dispatch_office", "storage_inventory"):
        through_fdw = query(imported, f"select count(*) from legacy.{table}")[0][0]
        direct = query(generated_legacy, f"select count(*) from {table}")[0][0]
        assert through_fdw == direct > 0


def test_wrapper_uses_a_bulk_fetch_size(imported):
    options = query(imported, "select srvoptions from pg_foreign_server where srvname = 'legacy_server'")
    assert "fetch_size=10000" in options[0][0]


@pytest.mark.parametrize(
    "statement",
    [
        "insert into legacy.dispatch_category (id, name) values (987654, 'written by the target')",
        "update legacy.dispatch_office set name = 'changed by the target'",
        "delete from legacy.dispatch_task",
    ],
)
def test_target_cannot_write_to_legacy_tables(imported, generated_legacy, statement):
    before = query(generated_legacy, "select count(*), max(name) from dispatch_office")
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        query(imported, statement)
    assert query(generated_legacy, "select count(*), max(name) from dispatch_office") == before


def test_password_hashes_cannot_be_read_through_the_wrapper(imported):
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        query(imported, "select password from legacy.auth_user limit 1")
    assert query(imported, "select count(username) from legacy.auth_user")[0][0] > 0


def test_a_dba_owned_server_keeps_the_legacy_password_from_the_migration_role(
    imported, target_super, dbt_project
):
    """`cutover dba-script`, section 5: a foreign server and a mapping FOR PUBLIC that another
    role owns are used as they are; the migration role reads the legacy tables through them and
    sees no password in pg_user_mappings (it does in the mapping it makes itself)."""
    own = query(imported, "select umoptions from pg_user_mappings where srvname = 'legacy_server'")
    assert any(option.startswith("password=") for option in own[0][0])
    options = query(target_super, "select srvoptions from pg_foreign_server where srvname = 'legacy_server'")[
        0
    ][0]
    mapping = query(target_super, "select umoptions from pg_user_mappings where srvname = 'legacy_server'")[
        0
    ][0]
    quoted = ", ".join(f"{k} '{v}'" for k, v in (o.split("=", 1) for o in options))
    mapped = ", ".join(f"{k} '{v}'" for k, v in (o.split("=", 1) for o in mapping))
    role = target_endpoint().user
    try:
        query(target_super, "drop server legacy_server cascade")
        query(
            target_super, f"create server legacy_server foreign data wrapper postgres_fdw options ({quoted})"
        )
        query(target_super, f"create user mapping for public server legacy_server options ({mapped})")
        query(target_super, f'grant usage on foreign server legacy_server to "{role}"')
        result = dbt_project.invoke(SETUP)
        assert result.success, result.error
        assert query(imported, "select umoptions from pg_user_mappings where srvname = 'legacy_server'") == [
            (None,)
        ]
        assert query(imported, "select count(*) from legacy.dispatch_office")[0][0] > 0
    finally:
        query(target_super, "drop server if exists legacy_server cascade")
        assert dbt_project.invoke(SETUP).success  # the migration role's own server again, for what follows
