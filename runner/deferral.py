"""First loads of massive entities without the per-row cost of secondary indexes and foreign keys.

Measured at scale 1.0 (tasks, 95,551 rows per batch): the insert costs 4.0 s maintaining five
indexes and 3.2 s in the three foreign-key triggers, against 0.2 s to read the batch. When a
batched entity starts from an empty table, the runner drops its foreign keys and the indexes that
back no constraint (the primary key and the unique legacy_id, which the upsert needs, stay),
loads the batches, then builds each index once and validates each foreign key with one query.

The dropped definitions are written, in the same transaction as the drop, to
cutover_snapshots.deferred_definitions in the target (made by the DBA script, runner/dba.py),
so a runner killed between the drop and the rebuild leaves what it needs behind: `resume`
carries on and rebuilds them after the last batch, any other run rebuilds them before it
starts, and `rollback` rebuilds them before it restores anything. The models only ever write
rows whose references exist, so the rebuilt foreign keys validate; if one did not, the rebuild
fails with the server's message and the definitions stay recorded.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from runner.faults import checkpoint

SCHEMA = "cutover_snapshots"
TABLE = "deferred_definitions"


def _qualified(entity: str) -> str:
    return f"app.{entity}"


def _has_records(conn: psycopg.Connection) -> bool:
    return conn.execute("select to_regclass(%s)", (f"{SCHEMA}.{TABLE}",)).fetchone()[0] is not None


def is_deferred(conn: psycopg.Connection, entity: str) -> bool:
    if not _has_records(conn):
        return False
    row = conn.execute(
        sql.SQL("select 1 from {}.{} where table_name = %s limit 1").format(
            sql.Identifier(SCHEMA), sql.Identifier(TABLE)
        ),
        (_qualified(entity),),
    ).fetchone()
    return row is not None


def defer(conn: psycopg.Connection, entity: str) -> int:
    """Drop the entity's foreign keys and free-standing indexes, recording them; returns how
    many were dropped."""
    table = _qualified(entity)
    with conn.transaction():
        keys = conn.execute(
            "select conname, pg_get_constraintdef(oid) from pg_constraint "
            "where conrelid = %s::regclass and contype = 'f' order by conname",
            (table,),
        ).fetchall()
        indexes = conn.execute(
            """
            select c.relname, pg_get_indexdef(i.indexrelid)
            from pg_index as i
            join pg_class as c on c.oid = i.indexrelid
            where i.indrelid = %s::regclass
                and not exists (select 1 from pg_constraint as k where k.conindid = i.indexrelid)
            order by c.relname
            """,
            (table,),
        ).fetchall()
        insert = sql.SQL("insert into {}.{} (table_name, kind, name, definition) values (%s, %s, %s, %s)")
        insert = insert.format(sql.Identifier(SCHEMA), sql.Identifier(TABLE))
        for name, definition in keys:
            conn.execute(insert, (table, "foreign key", name, definition))
            conn.execute(
                sql.SQL("alter table app.{} drop constraint {}").format(
                    sql.Identifier(entity), sql.Identifier(name)
                )
            )
        for name, definition in indexes:
            conn.execute(insert, (table, "index", name, definition))
            conn.execute(sql.SQL("drop index app.{}").format(sql.Identifier(name)))
    return len(keys) + len(indexes)


def restore(conn: psycopg.Connection, entity: str) -> int:
    """Build the recorded indexes, then validate and add the recorded foreign keys, in one
    transaction; returns how many were restored (0 when nothing was deferred)."""
    if not is_deferred(conn, entity):
        return 0
    table = _qualified(entity)
    if conn.execute("select to_regclass(%s)", (table,)).fetchone()[0] is None:
        # the table is gone (dropped with its schema): what was deferred went with it
        conn.execute(
            sql.SQL("delete from {}.{} where table_name = %s").format(
                sql.Identifier(SCHEMA), sql.Identifier(TABLE)
            ),
            (table,),
        )
        return 0
    with conn.transaction():
        rows = conn.execute(
            sql.SQL(
                "select kind, name, definition from {}.{} where table_name = %s "
                "order by kind desc, name for update"
            ).format(sql.Identifier(SCHEMA), sql.Identifier(TABLE)),
            (table,),
        ).fetchall()
        for kind, name, definition in rows:  # 'index' sorts after 'foreign key': desc = indexes first
            if kind == "index":
                conn.execute(definition)
                checkpoint(f"rebuild:{entity}")
            else:
                conn.execute(
                    sql.SQL("alter table app.{} add constraint {} ").format(
                        sql.Identifier(entity), sql.Identifier(name)
                    )
                    + sql.SQL(definition)
                )
        conn.execute(
            sql.SQL("delete from {}.{} where table_name = %s").format(
                sql.Identifier(SCHEMA), sql.Identifier(TABLE)
            ),
            (table,),
        )
    return len(rows)


def deferred_entities(conn: psycopg.Connection) -> list[str]:
    """The entities whose indexes and foreign keys are recorded as deferred."""
    if not _has_records(conn):
        return []
    return [
        r[0].removeprefix("app.")
        for r in conn.execute(
            sql.SQL("select distinct table_name from {}.{} order by 1").format(
                sql.Identifier(SCHEMA), sql.Identifier(TABLE)
            )
        )
    ]


def restore_all(conn: psycopg.Connection) -> list[str]:
    """Restore whatever any earlier run left deferred (used by rollback); returns the entities."""
    entities = deferred_entities(conn)
    for entity in entities:
        restore(conn, entity)
    return entities
