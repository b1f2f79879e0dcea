"""The foreign-data wrapper: created by a dbt macro, idempotent, read-only, no password hashes."""

from __future__ import annotations

import psycopg
import pytest
from support import query

from runner.config import target_endpoint
from runner.legacy.tables import TABLES

LEGACY_TABLES = sorted([t.name for t in TABLES] + ["storage_inventory"])


@pytest.fixture(scope="module")
def imported(generated_legacy, dbt_project):
    for _ in range(2):  # idempotent: a second run replaces what the first made
        result = dbt_project.invoke(["run-operation", "setup_legacy_fdw"])
        assert result.success, result.error
    return target_endpoint()


def test_every_legacy_table_is_imported_as_a_foreign_table(imported):
    rows = query(
        imported,
        "select foreign_table_name from information_schema.foreign_tables "
        "where foreign_table_schema = 'legacy' order by 1",
    )
    assert [r[0] for r in rows] == LEGACY_TABLES


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
