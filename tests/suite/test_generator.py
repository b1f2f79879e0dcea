"""The synthetic legacy database: shape, volumes, data problems, determinism, mutate."""

from __future__ import annotations

import re
from dataclasses import replace
from importlib import resources

import psycopg
import pytest
from support import SCALE, SEED, query

from cutover_dev.legacy.generator import generate, mutate, table_counts, target_rows
from cutover_dev.legacy.problems import PROBLEMS
from cutover_dev.legacy.tables import TABLES
from runner.errors import CutoverError


def _spec_columns() -> dict[str, list[str]]:
    """Table -> column names, read from the DDL written from shared/LEGACY_SOURCE.md."""
    ddl = resources.files("cutover_dev.legacy").joinpath("schema.sql").read_text()
    tables = {}
    for match in re.finditer(r"create table (\w+) \((.*?)\n\);", ddl, re.S):
        tables[match.group(1)] = [line.strip().split()[0] for line in match.group(2).strip().splitlines()]
    return tables


def test_generated_database_has_every_spec_table_and_column(generated_legacy):
    columns = query(
        generated_legacy,
        "select table_name, column_name from information_schema.columns "
        "where table_schema = 'public' order by table_name, ordinal_position",
    )
    actual: dict[str, list[str]] = {}
    for table, column in columns:
        actual.setdefault(table, []).append(column)
    assert actual == _spec_columns()
    assert len(actual) == 30  # 29 application tables + storage_inventory


def test_volumes_follow_the_scale(generated_legacy):
    counts = table_counts(generated_legacy)
    wanted = target_rows(SCALE)
    for table in TABLES:
        if table.follows:
            # one profile per user but for about 1%
            assert 0.9 * wanted[table.follows] <= counts[table.name] < wanted[table.follows]
        else:
            assert counts[table.name] == wanted[table.name], table.name
    assert 0.98 * counts["dispatch_file"] <= counts["storage_inventory"] < counts["dispatch_file"]


def test_scale_one_volumes_are_those_of_the_spec():
    rows = target_rows(1.0)
    assert rows["dispatch_task"] == 762_000
    assert rows["dispatch_file"] == 294_000
    assert rows["auth_user"] == 9_751
    assert sum(v for k, v in rows.items() if k != "dispatch_userprofile") == 1_779_706


@pytest.mark.parametrize("problem", PROBLEMS, ids=lambda p: f"{p.table}.{p.code}")
def test_every_data_problem_is_present(generated_legacy, problem):
    assert query(generated_legacy, problem.count_sql)[0][0] > 0


def _checksums(endpoint) -> dict[str, str]:
    return {
        name: query(endpoint, f"select md5(string_agg(t::text, '|' order by t::text)) from {name} t")[0][0]
        for name in [t.name for t in TABLES] + ["storage_inventory"]
    }


def test_same_seed_and_scale_give_the_same_database(admin, reader_role, servers):
    copy = replace(admin, dbname="legacy_copy")
    with psycopg.connect(servers.legacy.superuser_conninfo(), autocommit=True) as conn:
        conn.execute("drop database if exists legacy_copy")
        conn.execute("create database legacy_copy")
    generate(admin, SCALE, SEED, reader_role=reader_role)
    generate(copy, SCALE, SEED)
    assert _checksums(admin) == _checksums(copy)
    generate(copy, SCALE, SEED + 1)
    assert _checksums(admin) != _checksums(copy)


def test_mutate_inserts_updates_and_hard_deletes(fresh_legacy):
    before = table_counts(fresh_legacy)
    clock = query(fresh_legacy, "select now() at time zone 'America/Chicago'")[0][0]
    result = mutate(fresh_legacy, 0.03, SEED, round_=1)
    after = table_counts(fresh_legacy)
    assert result.deleted["dispatch_task"] > 0 and result.inserted["dispatch_task"] > 0
    assert after["dispatch_task"] == (
        before["dispatch_task"]
        + result.inserted["dispatch_task"]
        + result.restored["dispatch_task"]
        - result.deleted["dispatch_task"]
    )
    # saves through the application carry the legacy server's clock (one a year ahead); bulk
    # updates, fixes in SQL, imports and restored rows do not (the generator dates a few rows
    # in the 2090s and in 2999)
    saved = query(
        fresh_legacy,
        "select count(*) from dispatch_task "
        "where modified between %s - interval '1 hour' and %s + interval '2 years'",
        (clock, clock),
    )[0][0]
    assert saved == (
        result.updated["dispatch_task"]
        - result.kept_modified["dispatch_task"]
        + result.inserted["dispatch_task"]
        - result.imported["dispatch_task"]
    )
    assert result.kept_modified["dispatch_task"] > 0 and result.imported["dispatch_task"] > 0
    assert result.restored["dispatch_task"] > 0
    assert result.updated["dispatch_record"] > 0  # tables without `modified` change too


def test_ids_are_not_dense_and_references_follow_the_moved_blocks(generated_legacy):
    """Sequences moved by hand after imports: the last rows of a few tables have ids far from the
    others (tasks from 2,000,000,001), and their children refer to them there."""
    low, high = query(generated_legacy, "select min(id), max(id) from dispatch_task")[0]
    assert low == 1 and high > 2_000_000_000
    orphans = query(
        generated_legacy,
        "select count(*) from dispatch_task as t where not exists "
        "(select 1 from dispatch_order as o where o.id = t.order_id)",
    )[0][0]
    tasks = query(generated_legacy, "select count(*) from dispatch_task")[0][0]
    assert orphans < tasks * 0.01  # the rate of orphan orders, not the moved block


def test_generator_refuses_a_database_it_did_not_create(admin, servers):
    other = replace(admin, dbname="not_synthetic")
    with psycopg.connect(servers.legacy.superuser_conninfo(), autocommit=True) as conn:
        conn.execute("drop database if exists not_synthetic")
        conn.execute("create database not_synthetic")
    with psycopg.connect(other.conninfo(), autocommit=True) as conn:
        conn.execute("create table patients_of_a_real_clinic (id int)")
    with pytest.raises(CutoverError, match="refusing to overwrite"):
        generate(other, SCALE, SEED)


def test_bad_scale_is_one_clear_error():
    with pytest.raises(CutoverError, match="--scale must be above 0"):
        target_rows(0)
