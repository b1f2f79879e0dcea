"""Massive entities (tasks, files) on their first load: checkpointed batches of about batch_size
rows each (ranges of legacy ids planned from the staged rows and recorded in the audit trail),
side by side in rounds of one dbt invocation each, their secondary indexes and foreign keys
deferred to the end (runner/deferral.py); a resumed execution loads the same batches and skips
the ones it finished."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

import psycopg
from rich.progress import TaskID

from runner import deferral
from runner.context import ExecutionContext
from runner.dbt import InvocationResult
from runner.errors import CutoverError
from runner.faults import checkpoint
from runner.gate import level_excludes
from runner.graph import split_by_phase, take_ahead
from runner.invoke import DbtInvoker
from runner.model import MigrationPhase

# the open ends of the first and last batch: every id an integer column can hold
ID_MIN, ID_MAX = -(2**63), 2**63 - 1


@dataclass
class BatchedLoad:
    """A massive entity loading in checkpointed batches: its ranges still to load."""

    entity: str
    pending: list[tuple[int, int]]
    first_load: bool
    task: TaskID
    rows: int = 0
    seconds: float = 0.0
    # batches loaded before a stop: legacy may have changed their rows since
    resumed: bool = False

    @property
    def next(self) -> tuple[int, int]:
        return self.pending[0]

    @property
    def label(self) -> str:
        return f"{self.pending[0][0]}..{self.pending[0][1]}" if self.pending else "(none left)"


class BatchLoader:
    """The batched loads of one execution's massive entities: `load(phase, entities, ahead)`."""

    def __init__(self, ctx: ExecutionContext, dbt: DbtInvoker) -> None:
        self.ctx = ctx
        self.dbt = dbt
        # batches of each entity this process loaded (the test hook's batch:<entity>:<n>)
        self.done_here: dict[str, int] = {}

    def batch_ranges(self, entity: str) -> list[tuple[int, int]]:
        """The execution's legacy-id ranges for the entity: planned from its staged rows the first
        time the execution loads it in batches, and recorded in the audit trail, so that a
        resumed execution finds the same batches whatever was inserted or deleted meanwhile."""
        ctx = self.ctx
        planned = ctx.store.batch_plan(ctx.execution.id, entity)
        if not planned:
            staged = ctx.graph.staging_model(entity)
            planned = plan_batches(ctx.store.conn, f"staging.{staged}", ctx.settings.batch_size)
            ctx.store.record_batch_plan(ctx.execution.id, entity, planned)
            ctx.log(
                "progress",
                f"{entity}: {len(planned)} batches of about {ctx.settings.batch_size:,} rows planned",
                entity=entity,
                records=sum(rows for _, _, rows in planned),
                batches=[[low, high] for low, high, _ in planned],
            )
        return [(low, high) for low, high, _ in planned]

    def load(
        self, phase: MigrationPhase, entities: list[str], ahead: list[tuple[int, list[str]]]
    ) -> dict[str, BatchedLoad]:
        """The checkpointed batches of a phase's massive entities, side by side: each dbt
        invocation (a round) loads the next batch of each entity that has one left (var
        cutover_batch maps each model to its range), so the batches of files run beside those of
        tasks on the other core instead of after them, and a round costs dbt's set-up once for
        both. The `ahead` models of later phases (_read_ahead), with their tests, are shared out
        among the rounds, the last rounds first (tasks alone is a single thread); one that fails
        is left to its own phase to build again and report."""
        loads = [self._resume_or_start(phase, entity) for entity in entities]
        rounds: list[dict[str, int]] = [{} for _ in range(max(len(load.pending) for load in loads))]
        for index, (later, chain) in enumerate(ahead if rounds else []):
            rounds[len(rounds) - 1 - index % len(rounds)].update(dict.fromkeys(chain, later))
        # A first load (the table absent or empty, no batch done) defers the secondary indexes and
        # foreign keys once the first batch has created the table; a resumed one finds them
        # recorded as deferred and rebuilds them after its last batch (runner/deferral.py).
        conn = self.ctx.store.conn
        try:
            self._rounds(phase, loads, rounds)
        except BaseException:
            # the server may be gone too: then resume (or rollback) rebuilds them
            for load in loads:
                with contextlib.suppress(Exception):
                    deferral.restore(conn, load.entity)
            raise
        for load in loads:
            self._rebuild_deferred(phase, load)
        self._catch_up(phase, [load for load in loads if load.resumed])
        return {load.entity: load for load in loads}

    def _resume_or_start(self, phase: MigrationPhase, entity: str) -> BatchedLoad:
        """The entity's batches still to load: all of them, or those a stopped attempt left."""
        ctx = self.ctx
        ranges = self.batch_ranges(entity)
        finished = ctx.store.finished_batches(ctx.execution.id, entity)
        empty = ctx.tables.is_empty(entity)
        if finished and empty:
            # the batches recorded as done are not in the table: it was dropped or emptied
            # since (a benchmark empties the target, so does a DBA by hand); skipped, they
            # were lost, and only the reconciliation test noticed
            ctx.log(
                "progress",
                f"{entity}: the {len(finished)} batches recorded as done are not in app.{entity} "
                "(dropped or emptied since): loading them again",
                phase.phase,
                entity,
            )
            finished = {}
        load = BatchedLoad(
            entity=entity,
            pending=[r for r in ranges if r[0] not in finished],
            first_load=not finished and empty,
            task=ctx.progress.add_task(f"  {entity} batches", total=len(ranges), rows="", rate=""),
            rows=sum(finished.values()),
            resumed=bool(finished),
        )
        ctx.progress.update(load.task, completed=len(ranges) - len(load.pending), rows=f"{load.rows:,}")
        if finished:
            ctx.log(
                "progress",
                f"{entity}: {len(finished)} batches already done, skipped",
                phase.phase,
                entity,
                records=load.rows,
            )
        return load

    def _rebuild_deferred(self, phase: MigrationPhase, load: BatchedLoad) -> None:
        started = time.perf_counter()
        restored = deferral.restore(self.ctx.store.conn, load.entity)
        if restored:
            seconds = time.perf_counter() - started
            load.seconds += seconds
            self.ctx.log(
                "progress",
                f"{load.entity}: {restored} indexes and foreign keys rebuilt after the bulk load",
                phase.phase,
                load.entity,
                seconds=seconds,
            )

    def _catch_up(self, phase: MigrationPhase, loads: list[BatchedLoad]) -> None:
        """The batches a resumed load skipped were loaded before the stop; a row deleted in legacy
        since then left their range with a target row and no verdict (the proof by id found them).
        One unbatched build of the entity takes in what changed since its first batch: the rows
        gone, and the verdicts recomputed after the stop."""
        if not loads:
            return
        entities = [load.entity for load in loads]
        started = time.perf_counter()
        result = self.dbt.invoke(
            ["run", "--select", *entities],
            f"bringing {', '.join(entities)} up to date",
            self.ctx.options.dbt_vars(),
        )
        if not result.success:
            raise CutoverError(
                f"Bringing {', '.join(entities)} up to date after the batches failed: {result.reason()}"
            )
        for load in loads:
            node = next((n for n in result.nodes if n.name == load.entity), None)
            self.ctx.log(
                "progress",
                f"{load.entity}: the batches loaded before the stop brought up to date with legacy",
                phase.phase,
                load.entity,
                records=int(getattr(node, "rows_affected", 0) or 0),
                seconds=time.perf_counter() - started,
            )

    def _rounds(self, phase: MigrationPhase, loads: list[BatchedLoad], rounds: list[dict[str, int]]) -> None:
        """One dbt invocation per round: the next batch of each entity that has one left, and the
        round's share of the models built ahead (`ahead`: unique id -> its phase)."""
        started = time.perf_counter()
        for ahead in rounds:
            batches = [load for load in loads if load.pending]
            for load in batches:
                self._defer_on_first_load(phase, load)
            what = ", ".join(f"{load.entity} batch {load.label}" for load in batches)
            if ahead:
                models = sum(1 for uid in ahead if uid.startswith("model."))
                what += f" with {models} models of phases {min(ahead.values())}..{max(ahead.values())}"
            round_started = time.perf_counter()
            ranges = {load.entity: {"from": load.next[0], "to": load.next[1]} for load in batches}
            selected = [load.entity for load in batches] + [uid.rsplit(".", 1)[1] for uid in ahead]
            result = self.dbt.invoke(
                # tests of the ahead models only: those of tasks wait for the last batch
                ["build", "--select", *selected, "--indirect-selection", "empty"]
                + level_excludes(self.ctx.options.validation_level),
                what,
                self.ctx.options.dbt_vars(cutover_batch=ranges),
                phase=phase.phase,
                entity=batches[0].entity if len(batches) == 1 else None,
            )
            broken = result.error if not result.failed() else None
            if broken is not None:
                raise CutoverError(f"{what[0].upper()}{what[1:]} failed: {broken}")
            if ahead:
                owners = {f"model.cutover.{load.entity}": phase.phase for load in batches} | ahead
                parts = split_by_phase(result, None, owners, self.ctx.project.manifest, phase.phase)
                self.ctx.built_ahead |= take_ahead(parts, ahead)
            self._record_round(phase, batches, result, time.perf_counter() - round_started, started)

    def _defer_on_first_load(self, phase: MigrationPhase, load: BatchedLoad) -> None:
        conn = self.ctx.store.conn
        created = load.first_load and not self.ctx.tables.is_absent(load.entity)
        if created and not deferral.is_deferred(conn, load.entity):
            count = deferral.defer(conn, load.entity)
            self.ctx.log(
                "progress",
                f"{load.entity}: first load, {count} indexes and foreign keys deferred to the end",
                phase.phase,
                load.entity,
            )
            load.first_load = False

    def _record_round(
        self,
        phase: MigrationPhase,
        batches: list[BatchedLoad],
        result: InvocationResult,
        seconds: float,
        started: float,
    ) -> None:
        """The batches of a round that succeeded, recorded before a failed one stops the run."""
        ctx = self.ctx
        nodes = {n.name: n for n in result.nodes}
        done = [load for load in batches if getattr(nodes.get(load.entity), "status", None) == "success"]
        for load in done:
            batch_from, batch_to = load.pending.pop(0)
            rows = int(nodes[load.entity].rows_affected or 0)
            ctx.store.record_batch(ctx.execution.id, load.entity, batch_from, batch_to, rows, seconds)
            load.rows += rows
            load.seconds += seconds
            self.done_here[load.entity] = self.done_here.get(load.entity, 0) + 1
            elapsed = max(time.perf_counter() - started, 1e-6)
            ctx.progress.update(
                load.task, advance=1, rows=f"{load.rows:,}", rate=f"{load.rows / elapsed:,.0f}"
            )
            ctx.log(
                "progress",
                f"{load.entity}: batch {batch_from}..{batch_to} done",
                phase.phase,
                load.entity,
                records=rows,
                seconds=seconds,
            )
            alerting = ctx.profile.monitoring.alerting
            if alerting.enabled and seconds > alerting.slow_query_threshold:
                ctx.log(
                    "progress",
                    f"{load.entity}: slow batch ({seconds:.0f} s)",
                    phase.phase,
                    load.entity,
                    alert="slow_query",
                )
        for load in done:
            checkpoint(f"batch:{load.entity}:{self.done_here[load.entity]}")
        failed = [load for load in batches if load not in done]
        if failed:
            load = failed[0]
            error = InvocationResult(success=False, nodes=[n for n in result.nodes if n.name == load.entity])
            raise CutoverError(f"Batch {load.label} of {load.entity} failed: {error.reason()}")

    def rebuild_left_deferred(self) -> None:
        """The indexes and foreign keys a stopped first load left deferred (a crash of the target,
        a kill) are rebuilt before anything else, unless this execution goes on loading that
        entity in batches (a resume), which rebuilds them after its last batch: a new execution
        (`run --force`) or one that no longer loads it in batches would leave them out for good."""
        ctx = self.ctx
        for entity in deferral.deferred_entities(ctx.store.conn):
            if ctx.store.finished_batches(ctx.execution.id, entity) and not ctx.tables.is_empty(entity):
                continue
            started = time.perf_counter()
            restored = deferral.restore(ctx.store.conn, entity)
            ctx.log(
                "progress",
                f"{entity}: rebuilt the {restored} indexes and foreign keys "
                "a stopped first load left deferred",
                entity=entity,
                seconds=time.perf_counter() - started,
            )

    def loads_in_batches(self, entity: str) -> bool:
        """Checkpointed batches are for the first load of a massive entity (its table absent or
        empty) and for resuming one. An entity already loaded takes a delta's changes in one pass
        with the rest of its phase (docs/benchmark.md: batches of a delta)."""
        if not self.ctx.plan.entities[entity].spec.batched:
            return False
        return bool(
            self.ctx.store.finished_batches(self.ctx.execution.id, entity)
        ) or self.ctx.tables.is_empty(entity)


def plan_batches(conn: psycopg.Connection, staged: str, size: int) -> list[tuple[int, int, int]]:
    """Ranges of legacy ids (from, to, rows) of about `size` staged rows each, however the ids are
    spread (far-apart blocks, negative ids, ids at the limits of their type), from the id of
    every size-th row; the first range is open below and the last above, so that every id falls
    into one."""
    rows, bounds = conn.execute(
        f"""
        select
            (select count(*) from {staged}),
            array(
                select legacy_id from (
                    select legacy_id, row_number() over (order by legacy_id) as position
                    from {staged}
                ) as numbered
                where position %% %s = 0
                order by legacy_id
            )
        """,
        (size,),
    ).fetchone()
    # the last full batch's bound closes nothing when no row follows it
    bounds = [bound for index, bound in enumerate(bounds) if (index + 1) * size < rows]
    lows = [ID_MIN] + [bound + 1 for bound in bounds]
    highs = bounds + [ID_MAX]
    counts = [size] * len(bounds) + [rows - size * len(bounds)]
    return list(zip(lows, highs, counts, strict=True))
