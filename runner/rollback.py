"""Before-images and rollback.

Before an execution writes anything, it records for every entity it may change (the selected
ones and everything downstream of them, since deletes cascade) either that the table was empty
or a copy of it in schema cutover_snapshots. Rollback of an entity, a phase or everything
restores those entities and everything downstream of them to exactly that state, in one
transaction, and refuses where that is impossible: no before-image, already rolled back, or a
later execution changed the same tables.

The copies are kept for the most recent executions only (setting keep_before_images): each
execution drops the copies of older ones once it has taken its own, so that rehearsals and
deltas do not fill the target server with copies of whole tables. A record that an entity was
empty needs no copy and stays: an execution that loaded empty tables can always be rolled back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor

import psycopg
from psycopg import sql

from runner import deferral
from runner.audit import AuditStore, now
from runner.errors import CutoverError, first_line
from runner.faults import checkpoint, fault
from runner.model import EntitySpec, MigrationAuditEntry

SNAPSHOT_SCHEMA = "cutover_snapshots"


def downstream(specs: Mapping[str, EntitySpec], entities: Iterable[str]) -> set[str]:
    """The entities and every entity that depends on them, directly or not."""
    chosen = set(entities)
    changed = True
    while changed:
        changed = False
        for name, spec in specs.items():
            if name not in chosen and spec.dependencies & chosen:
                chosen.add(name)
                changed = True
    return chosen


def in_dependency_order(specs: Mapping[str, EntitySpec], entities: Iterable[str]) -> list[str]:
    """Parents before children."""
    wanted = set(entities)
    ordered: list[str] = []

    def visit(name: str) -> None:
        if name in ordered:
            return
        for parent in sorted(specs[name].dependencies & wanted):
            visit(parent)
        ordered.append(name)

    for name in sorted(wanted, key=lambda n: (specs[n].phase, n)):
        visit(name)
    return ordered


def _snapshot_name(execution_id: str, entity: str) -> str:
    return f"{execution_id.replace('-', '')[:12]}__{entity}"


def take_snapshots(store: AuditStore, execution_id: str, entities: Iterable[str], lanes: int = 2) -> int:
    """Record the before-image of each entity once per execution; returns rows copied.

    The copies are made on `lanes` connections side by side, the largest tables first: the
    runner only waits while the server copies, and one copy keeps one of its cores busy (a
    delta's 28 copies at scale 1.0 took 4.3 to 5.4 s one after the other). Each lane records
    each copy as it makes it; a copy that a killed runner left unrecorded is made again."""
    conn = store.conn
    taken = {
        row[0]
        for row in conn.execute(
            "select entity from cutover_audit.snapshots where execution_id = %s", (execution_id,)
        )
    }
    sizes: dict[str, int] = {}
    for entity in entities:
        if entity in taken:
            continue
        size = conn.execute("select pg_relation_size(to_regclass(%s))", (f"app.{entity}",)).fetchone()[0]
        # whether it has a row at all, not how many: the copy counts them (a count(*) of tasks
        # before copying them read 762,000 rows once more at scale 1.0)
        has_rows = (
            size is not None
            and conn.execute(
                sql.SQL("select exists (select 1 from app.{})").format(sql.Identifier(entity))
            ).fetchone()[0]
        )
        if has_rows:
            sizes[entity] = size
        else:
            _record_snapshot(conn, execution_id, entity, None, 0)
    queues: list[list[str]] = [[] for _ in range(max(1, lanes))]
    loads = [0] * len(queues)
    for entity in sorted(sizes, key=sizes.get, reverse=True):
        lane = loads.index(min(loads))
        queues[lane].append(entity)
        loads[lane] += sizes[entity]
    queues = [queue for queue in queues if queue]
    if not queues:
        return 0
    if len(queues) == 1:
        return _copy_lane(conn, execution_id, queues[0])
    conninfo = store.endpoint.conninfo(application_name="cutover-before-images")
    with ThreadPoolExecutor(len(queues)) as pool:
        futures = [pool.submit(_copy_lane_connected, conninfo, execution_id, queue) for queue in queues]
        return sum(future.result() for future in futures)


def _copy_lane_connected(conninfo: str, execution_id: str, entities: list[str]) -> int:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        return _copy_lane(conn, execution_id, entities)


def _copy_lane(conn: psycopg.Connection, execution_id: str, entities: list[str]) -> int:
    copied = 0
    for entity in entities:
        table = _snapshot_name(execution_id, entity)
        snapshot = sql.Identifier(SNAPSHOT_SCHEMA, table)
        checkpoint(f"before-image:{entity}")
        # the copy, its hand-over to the audit owner (who alone may drop it from then on) and its
        # record are one transaction: a runner killed in between leaves none of them
        try:
            with conn.transaction():
                fault(f"before-image:{entity}", conn)
                copy = sql.SQL("create table {} as select * from app.{}")
                rows = conn.execute(copy.format(snapshot, sql.Identifier(entity))).rowcount
                conn.execute("select cutover_audit.seal_before_image(%s)", (table,))
                _record_snapshot(conn, execution_id, entity, table, rows)
        except psycopg.Error as exc:
            raise CutoverError(
                f"The before-image of {entity} could not be recorded: {first_line(exc)}; no entity of the "
                "target was written. The execution stops: run it again once the cause is fixed."
            ) from exc
        copied += rows
    return copied


def _record_snapshot(
    conn: psycopg.Connection, execution_id: str, entity: str, table: str | None, rows: int
) -> None:
    conn.execute(
        """
        insert into cutover_audit.snapshots (execution_id, entity, snapshot_table, was_empty, row_count)
        values (%s, %s, %s, %s, %s)
        """,
        (execution_id, entity, table, rows == 0, rows),
    )


def drop_old_before_images(store: AuditStore, keep: int) -> list[tuple[str, int, int]]:
    """Drop the before-image copies of all but the `keep` most recent executions that took
    before-images. Returns (execution id, tables dropped, rows they held) for each execution
    whose copies went."""
    conn = store.conn
    rows = conn.execute(
        """
        select s.execution_id::text, s.snapshot_table, s.row_count
        from cutover_audit.snapshots as s
        join cutover_audit.executions as e on e.id = s.execution_id
        where to_regclass(quote_ident(%s) || '.' || quote_ident(s.snapshot_table)) is not null
            and s.execution_id not in (
                select e.id from cutover_audit.executions as e
                where exists (select from cutover_audit.snapshots as k where k.execution_id = e.id)
                order by e.started_at desc
                limit %s
            )
        order by e.started_at, s.snapshot_table
        """,
        (SNAPSHOT_SCHEMA, keep),
    ).fetchall()
    dropped: dict[str, list[int]] = {}
    for execution_id, table, row_count in rows:
        # the audit owner's function: the migration role cannot drop a before-image itself
        conn.execute("select cutover_audit.drop_before_image(%s)", (table,))
        tally = dropped.setdefault(execution_id, [0, 0])
        tally[0] += 1
        tally[1] += int(row_count)
    return [(execution_id, tables, copied) for execution_id, (tables, copied) in dropped.items()]


# Long: one transaction, whose steps (check, lock, restore in dependency order, record) read best in order.
def rollback(
    store: AuditStore, specs: Mapping[str, EntitySpec], execution_id: str, entities: Iterable[str]
) -> dict[str, int]:
    """Restore `entities` and everything downstream of them to their state before the execution.
    Returns the rows each entity holds afterwards."""
    targets = downstream(specs, entities)
    snapshots = {
        row["entity"]: row
        for row in store.rows(
            "select *, to_regclass(quote_ident(%s) || '.' || quote_ident(snapshot_table)) is not null "
            "as copy_kept from cutover_audit.snapshots where execution_id = %s",
            (SNAPSHOT_SCHEMA, execution_id),
        )
    }
    missing = sorted(targets - set(snapshots))
    if missing:
        raise CutoverError(
            f"Cannot roll back execution {execution_id}: it recorded no before-image of "
            f"{', '.join(missing[:3])}, so their earlier state is unknown."
        )
    gone = sorted(
        e
        for e in targets
        if snapshots[e]["snapshot_table"]
        and snapshots[e]["restored_at"] is None
        and not snapshots[e]["copy_kept"]
    )
    if gone:
        raise CutoverError(
            f"Cannot roll back execution {execution_id}: its before-image of {', '.join(gone[:3])} "
            "was dropped when later executions began (only the most recent executions keep "
            "theirs: setting keep_before_images)."
        )
    if all(snapshots[e]["restored_at"] is not None for e in targets):
        raise CutoverError(
            f"Execution {execution_id} was already rolled back for {', '.join(sorted(targets)[:3])}"
            + (" and the entities downstream of them" if len(targets) > 3 else "")
            + "."
        )
    # Entities restored by an earlier, narrower rollback are restored again: a parent's delete
    # would otherwise cascade into them.
    later = store.rows(
        """
        select s.execution_id, s.entity from cutover_audit.snapshots as s
        join cutover_audit.executions as e on e.id = s.execution_id
        where e.started_at > (select started_at from cutover_audit.executions where id = %s)
            and s.entity = any(%s) and s.restored_at is null
        order by e.started_at desc
        """,
        (execution_id, sorted(targets)),
    )
    if later:
        raise CutoverError(
            f"Cannot roll back execution {execution_id}: the later execution {later[0]['execution_id']} "
            f"changed {later[0]['entity']}; roll that one back first."
        )
    order = in_dependency_order(specs, targets)
    # indexes and foreign keys a killed first load left deferred are rebuilt first, so that the
    # restored tables are whole again (runner/deferral.py)
    deferral.restore_all(store.conn)
    try:
        counts = _restore(store, order, snapshots, execution_id)
    except psycopg.errors.ForeignKeyViolation as exc:
        quoted = (exc.diag.message_detail or "").split('"')
        parent = quoted[-2] if len(quoted) >= 3 else "a parent entity"
        raise CutoverError(
            f"Cannot roll back {', '.join(sorted(set(entities)))} alone: its earlier rows refer to "
            f"{parent} rows that execution {execution_id} removed; roll back {parent} as well "
            "(nothing was changed)."
        ) from exc
    for entity in order:
        store.append(
            MigrationAuditEntry(
                timestamp=now(),
                execution_id=execution_id,
                phase=specs[entity].phase,
                entity=entity,
                action="rollback",
                message=f"{entity} restored to its state before execution {execution_id}",
                records_affected=counts[entity],
            )
        )
    return counts


def _restore(store: AuditStore, order: list[str], snapshots: dict, execution_id: str) -> dict[str, int]:
    """Delete children first (so no cascade reaches a restored table), then insert parents first
    (so every foreign key finds its row); one transaction, so a failure changes nothing."""
    counts: dict[str, int] = {}
    with store.conn.transaction():
        for entity in reversed(order):
            if store.conn.execute("select to_regclass(%s) is not null", (f"app.{entity}",)).fetchone()[0]:
                store.conn.execute(sql.SQL("delete from app.{}").format(sql.Identifier(entity)))
        for entity in order:
            snapshot = snapshots[entity]
            if snapshot["snapshot_table"]:
                store.conn.execute(
                    sql.SQL("insert into app.{} select * from {}.{}").format(
                        sql.Identifier(entity),
                        sql.Identifier(SNAPSHOT_SCHEMA),
                        sql.Identifier(snapshot["snapshot_table"]),
                    )
                )
            counts[entity] = int(snapshot["row_count"])
            checkpoint(f"rollback:{entity}")
            store.conn.execute(
                "update cutover_audit.snapshots set restored_at = now() "
                "where execution_id = %s and entity = %s",
                (execution_id, entity),
            )
        # The restored tables no longer hold what their watermarks say they took in: the next
        # run compares every verdict with them again (macros/change_tracking.sql).
        watermarks = store.conn.execute("select to_regclass('intermediate.change_watermarks')").fetchone()[0]
        if watermarks is not None:
            store.conn.execute(
                "delete from intermediate.change_watermarks where model_name = any(%s)", (list(order),)
            )
    return counts
