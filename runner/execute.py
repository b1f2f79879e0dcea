"""The phased cutover of one execution: each phase built, then validated, before the next starts;
consecutive phases that load nothing in batches (all of a delta's) are built by one `dbt build`,
then validated in phase order (Executor._run_together).

The Executor composes the execution's collaborators around its context (runner/context.py): the
dbt invoker (runner/invoke.py: retries, slow-query watch, timings), the batch loader of massive
entities (runner/batches.py) and the phase gate (runner/gate.py); what the phases build is read
from the manifest's graph (runner/graph.py). A resumed execution skips the entities, phases and
batches it already finished.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from runner.audit import now
from runner.batches import BatchLoader
from runner.context import ExecutionContext
from runner.dbt import FAILED, InvocationResult
from runner.errors import CutoverError
from runner.faults import checkpoint
from runner.gate import PhaseGate, StopRun, level_excludes
from runner.graph import joined_chains, phase_members, split_by_phase, take_ahead
from runner.invoke import DbtInvoker
from runner.model import EntityRun, MigrationExecution, MigrationPhase
from runner.rollback import downstream, drop_old_before_images, in_dependency_order, take_snapshots


@dataclass
class PhaseWork:
    """One phase under way: its entity runs and what dbt reported of them so far."""

    phase: MigrationPhase
    members: list[str]
    runs: dict[str, EntityRun]
    task: TaskID
    written: dict[str, int] = field(default_factory=dict)
    build_seconds: dict[str, float] = field(default_factory=dict)
    rows: int = 0
    clock: float = field(default_factory=time.perf_counter)


class Executor:
    """Runs the phases of one execution: `Executor(ctx).run()`."""

    def __init__(self, ctx: ExecutionContext, sleep: Callable[[float], None] = time.sleep) -> None:
        self.ctx = ctx
        self.dbt = DbtInvoker(ctx.project, ctx.profile, ctx.log, ctx.console, sleep)
        self.batches = BatchLoader(ctx, self.dbt)
        self.gate = PhaseGate(ctx, self.dbt)

    def run(self) -> MigrationExecution:
        ctx = self.ctx
        execution = ctx.execution
        done_phases = self._resume_point()
        execution.status = "executing"
        ctx.store.update_execution(execution)
        ctx.log(
            "start",
            f"execution started ({len(ctx.entities)} entities, profile {execution.profile})",
            records=execution.total_records_expected,
        )
        self.setup()
        self.batches.rebuild_left_deferred()
        self._forget_watermarks_of_emptied(list(ctx.plan.entities))
        self._take_before_images()
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rows]:>12} rows {task.fields[rate]:>10}/s"),
            TimeElapsedColumn(),
            console=ctx.console,
            disable=not ctx.profile.monitoring.progress_reporting,
        ) as progress:
            ctx.progress = progress
            pending = []
            for phase in execution.phases:
                if phase.phase in done_phases:
                    ctx.log("progress", f"phase {phase.phase} already completed: skipped", phase.phase)
                else:
                    pending.append(phase)
            groups = self._phase_groups(pending)
            for index, group in enumerate(groups):
                later = [phase for next_group in groups[index + 1 :] for phase in next_group]
                if len(group) > 1:
                    chains = self._read_ahead(later)
                    self._run_together(group, {uid: phase for phase, chain in chains for uid in chain})
                    continue
                phase = group[0]
                # the batches of a first load leave a core idle: the later phases' verdicts that
                # read only what the phases before this one built are computed beside them
                # (not with --phase-by-phase, which builds one phase at a time)
                earlier = execution.phases[: execution.phases.index(phase)]
                built = frozenset(e for before in earlier for e in self._members(before))
                chains = [] if ctx.options.phase_by_phase else self._read_ahead(later, built)
                self._run_alone(phase, chains)
        return execution

    # --- before the phases ------------------------------------------------------------------------

    def _resume_point(self) -> set[int]:
        """The phases an earlier attempt of the execution completed (their entities in
        ctx.done_entities): none with --force, or when the work tables were lost since."""
        ctx = self.ctx
        eid = ctx.execution.id
        done_phases = {p for p, s in ctx.store.phase_statuses(eid).items() if s == "completed"}
        ctx.done_entities = {e for e, s in ctx.store.entity_statuses(eid).items() if s == "completed"}
        if ctx.options.force:
            ctx.done_entities = set()
            return set()
        if (ctx.done_entities or done_phases) and self._work_tables_lost():
            message = (
                "the target server has lost its unlogged staging copies and verdicts (a crash) "
                "since this execution began: every phase runs again"
            )
            ctx.console.print(f"[yellow]{message[0].upper()}{message[1:]}.[/]")
            ctx.log("progress", message)
            ctx.done_entities = set()
            return set()
        return done_phases

    def setup(self) -> None:
        """Foreign tables, helper functions and change-tracking tables once per execution; the
        mapping seeds when one has changed since its last load (or in a full pass)."""
        ctx = self.ctx
        started = time.perf_counter()
        result = self.dbt.invoke(
            ["run-operation", "prepare_target"], "setting up the target", ctx.options.dbt_vars()
        )
        if not result.success:
            raise CutoverError(f"Setting up the target failed: {result.reason()}")
        ctx.store.conn.execute(
            "insert into intermediate.executions_on_work_tables values (%s) on conflict do nothing",
            (ctx.execution.id,),
        )
        if ctx.options.full_pass or not self._seeds_loaded():
            result = self.dbt.invoke(["seed"], "loading the mapping seeds", ctx.options.dbt_vars())
            if not result.success:
                raise CutoverError(f"Loading the mapping seeds failed: {result.reason()}")
            seeds = "seeds loaded"
        else:
            seeds = "seeds unchanged since their last load"
        ctx.log(
            "complete",
            f"foreign tables imported, helper functions ready, {seeds}",
            seconds=time.perf_counter() - started,
        )

    def _work_tables_lost(self) -> bool:
        """The staging copies, verdicts and change tracking are unlogged tables, emptied by the
        crash recovery of the target server (dbt_project.yml). Each execution notes itself in
        one of them when it starts: if its note is gone, so is the work of its finished phases,
        which the phases still to come read."""
        if not self.ctx.tables.exists("intermediate.executions_on_work_tables"):
            return True
        row = self.ctx.store.conn.execute(
            "select 1 from intermediate.executions_on_work_tables where execution_id = %s",
            (self.ctx.execution.id,),
        ).fetchone()
        return row is None

    def _seeds_loaded(self) -> bool:
        """Every mapping seed's table exists and was last loaded from the file and with the
        column types that the project has now (macros/record_seed_load.sql)."""
        seeds = [
            node
            for node in self.ctx.project.manifest.nodes.values()
            if node.resource_type == "seed" and node.package_name == "cutover"
        ]
        if not seeds or not self.ctx.tables.exists("intermediate.seed_loads"):
            return False
        loaded = {
            name: (checksum, column_types, exists)
            for name, checksum, column_types, exists in self.ctx.store.conn.execute(
                """
                select seed_name, checksum, column_types, to_regclass(relation) is not null
                from intermediate.seed_loads
                join unnest(%s::text[], %s::text[]) as wanted (name, relation) on wanted.name = seed_name
                """,
                ([n.name for n in seeds], [n.relation_name for n in seeds]),
            ).fetchall()
        }
        return all(
            loaded.get(node.name) == (node.checksum.checksum, dict(node.config.column_types or {}), True)
            for node in seeds
        )

    def _take_before_images(self) -> None:
        """Before-images of every entity the execution may change (the selected and everything
        downstream), for `cutover rollback`; those of old executions dropped."""
        ctx = self.ctx
        specs = {name: planned.spec for name, planned in ctx.plan.entities.items()}
        affected = in_dependency_order(specs, downstream(specs, ctx.entities))
        copied = take_snapshots(ctx.store, ctx.execution.id, affected)
        ctx.log("progress", f"before-images recorded for {len(affected)} entities", records=copied)
        keep = ctx.settings.keep_before_images
        for old, tables, rows in drop_old_before_images(ctx.store, keep):
            ctx.log(
                "progress",
                f"before-images of execution {old} dropped ({tables} tables): only the "
                f"{keep} most recent executions keep theirs",
                records=rows,
            )

    def _forget_watermarks_of_emptied(self, entities: list[str]) -> None:
        """An empty target table has taken in nothing, whatever its watermark says: one emptied
        by hand (a DBA's TRUNCATE, or its parent's with CASCADE) kept it, and its next build
        compared only the verdicts changed since (0 rows written, and the reconciliation test
        stopped the run). Such an entity takes in every verdict again (macros/change_tracking.sql)."""
        conn = self.ctx.store.conn
        tracked = [
            name
            for (name,) in conn.execute(
                "select model_name from intermediate.change_watermarks "
                "where changed_since is not null and model_name = any(%s)",
                (entities,),
            ).fetchall()
        ]
        for entity in tracked:
            if self.ctx.tables.exists(f"app.{entity}") and self.ctx.tables.is_empty(entity):
                conn.execute(
                    "update intermediate.change_watermarks set changed_since = null where model_name = %s",
                    (entity,),
                )
                self.ctx.log(
                    "progress",
                    f"{entity}: app.{entity} is empty, so it takes in every verdict again "
                    "(a table emptied by hand keeps the watermark of what it took in before)",
                    entity=entity,
                )

    # --- what runs with what ------------------------------------------------------------------------

    def _members(self, phase: MigrationPhase) -> list[str]:
        return phase_members(self.ctx.plan, self.ctx.entities, phase)

    def _read_ahead(
        self, later: list[MigrationPhase], built: frozenset[str] = frozenset()
    ) -> list[tuple[int, list[str]]]:
        """The models of later phases that read legacy alone, or legacy and the `built`
        entities (graph.reads_only), not yet built ahead: per later entity, its phase and its
        models in the order they build. A build of several phases builds them too: in a first
        load the phases are chains (patients, orders, products; the plans' staging, parsing and
        loading) that leave one of the two cores idle; the legacy reads and the parsing of the
        plans' documents fill it instead of lengthening phases 3 to 7. So do the batches of
        tasks and files (BatchLoader.load)."""
        ctx, graph = self.ctx, self.ctx.graph
        chains: list[tuple[int, list[str]]] = []
        taken: set[str] = set(ctx.built_ahead)
        for phase in later:
            for entity in self._members(phase):
                if entity in ctx.done_entities:
                    continue
                chain = []
                for name in graph.support_nodes(entity):
                    unique_id = f"model.{graph.package}.{name}"
                    if unique_id not in taken and graph.reads_only(unique_id, built):
                        taken.add(unique_id)
                        chain.append(unique_id)
                if chain:
                    chains.append((phase.phase, chain))
        chains = joined_chains(chains, graph.manifest)
        if built:
            pending = taken - ctx.built_ahead
            chains = [(phase, chain + graph.tests_of(chain, built, pending)) for phase, chain in chains]
        return chains

    def _phase_groups(self, pending: list[MigrationPhase]) -> list[list[MigrationPhase]]:
        """The pending phases in the order they run, consecutive ones grouped when one `dbt build`
        builds them (see _run_together). A phase runs alone when it loads an entity in
        batches (a first load of tasks or files) or was left half-way by an earlier attempt;
        every phase runs alone with --phase-by-phase."""
        groups: list[list[MigrationPhase]] = []
        joinable = False
        for phase in pending:
            todo = self._members(phase)
            alone = (
                self.ctx.options.phase_by_phase
                or any(e in self.ctx.done_entities for e in todo)
                or any(self.batches.loads_in_batches(e) for e in todo)
            )
            if joinable and not alone:
                groups[-1].append(phase)
            else:
                groups.append([phase])
            joinable = not alone
        return groups

    # --- one phase, or several ------------------------------------------------------------------------

    def _begin_phase(self, phase: MigrationPhase, members: list[str], done_entities: set[str]) -> PhaseWork:
        ctx, execution = self.ctx, self.ctx.execution
        execution.current_phase = phase.phase
        ctx.store.update_execution(execution)
        phase.status, phase.started_at = "in_progress", phase.started_at or now()
        ctx.store.update_phase(execution.id, phase)
        ctx.log("start", f"phase {phase.phase} {phase.name}", phase.phase)
        task = ctx.progress.add_task(
            f"phase {phase.phase} {phase.name}", total=len(members), rows="", rate=""
        )
        todo = [e for e in members if e not in done_entities]
        ctx.progress.update(task, completed=len(members) - len(todo))
        work = PhaseWork(
            phase, members, {e: EntityRun(e, phase.phase, "migrating", started_at=now()) for e in todo}, task
        )
        for run in work.runs.values():
            ctx.store.save_entity_run(execution.id, run)
            ctx.log("start", f"migrating {run.entity}", phase.phase, run.entity)
        return work

    def _on_node_finished(self, works: list[PhaseWork], batched: Iterable[str] = ()) -> Callable:
        """The dbt event callback that counts each entity's rows into its phase's progress (not
        those of the `batched` entities, which their batches count)."""
        by_entity = {entity: work for work in works for entity in work.runs if entity not in batched}
        progress = self.ctx.progress

        def on_event(event) -> None:
            if event.info.name != "NodeFinished":
                return
            name = event.data.node_info.node_name
            work = by_entity.get(name)
            if work is None:
                return
            rows = int(dict(event.data.run_result.adapter_response).get("rows_affected", 0) or 0)
            seconds = float(event.data.run_result.execution_time or 0.0)
            work.written[name] = work.written.get(name, 0) + rows
            work.build_seconds[name] = work.build_seconds.get(name, 0.0) + seconds
            work.rows += rows
            elapsed = max(time.perf_counter() - work.clock, 1e-6)
            progress.update(work.task, advance=1, rows=f"{work.rows:,}", rate=f"{work.rows / elapsed:,.0f}")
            rate = f"{rows / seconds:,.0f} rows/s" if seconds > 0 else ""
            progress.console.print(
                f"  {name:22} {rows:>10,} rows written in {seconds:6.1f} s  {rate}", highlight=False
            )

        return on_event

    def _end_phase(self, work: PhaseWork, tested: InvocationResult | None) -> None:
        ctx, phase = self.ctx, work.phase
        ctx.execution.current_phase = phase.phase
        for entity, run in work.runs.items():
            run.rows_written = work.written.get(entity, 0)
            run.build_seconds = work.build_seconds.get(entity)
            run.ended_at = now()
        self.gate.validate(phase, work.members, work.runs, tested)
        phase.status, phase.ended_at = "completed", now()
        ctx.store.update_phase(ctx.execution.id, phase)
        checkpoint(f"phase:{phase.phase}:completed")
        ctx.log(
            "complete",
            f"phase {phase.phase} {phase.name} completed",
            phase.phase,
            records=phase.records_processed,
            seconds=(phase.ended_at - phase.started_at).total_seconds(),
        )

    def _run_alone(self, phase: MigrationPhase, ahead: list[tuple[int, list[str]]]) -> None:
        """One phase alone: its models in one invocation, then its massive entities' batches (with
        the `ahead` models of later phases beside them), then its gate."""
        ctx = self.ctx
        members = self._members(phase)
        work = self._begin_phase(phase, members, ctx.done_entities)
        todo = list(work.runs)
        batched = [e for e in todo if self.batches.loads_in_batches(e)]
        plain = [e for e in todo if e not in batched]
        nodes = sorted(
            n
            for n in {n for e in todo for n in ctx.graph.support_nodes(e)} | set(plain)
            if f"model.{ctx.graph.package}.{n}" not in ctx.built_ahead
        )
        # The usual phase (nothing batched, nothing done before) is built and tested by one
        # `dbt build`: each test runs as soon as its models are built and a failed one stops the
        # models downstream of it; one invocation instead of two saves dbt's per-invocation set-up.
        # Batches and resumed phases build, then test.
        together = not batched and set(todo) == set(members)
        tested = None
        # A massive entity's absent table is created empty with the phase's other models (an empty
        # batch), so that its secondary indexes and foreign keys are deferred before its first
        # batch: a first batch that created the table maintained them row by row, and two that
        # created theirs, each adding foreign keys to orders, could only commit one after the other
        # (docs/benchmark.md).
        creating = [e for e in batched if ctx.tables.is_absent(e)]
        nodes += creating
        if nodes:
            excludes = level_excludes(ctx.options.validation_level)
            command = ["build", "--select", *nodes, *excludes] if together else ["run", "--select", *nodes]
            empty = {entity: {"from": 1, "to": 0} for entity in creating}
            dbt_vars = ctx.options.dbt_vars(cutover_batch=empty) if creating else ctx.options.dbt_vars()
            on_event = self._on_node_finished([work], batched)
            result = self.dbt.invoke(command, f"phase {phase.phase}", dbt_vars, on_event, phase.phase)
            # in a build, failed tests alone are the gate's to report; a model in error is not
            models = [n for n in result.nodes if n.resource_type != "test"]
            tests_only_failed = together and models and all(n.status != "error" for n in models)
            if not result.success and not tests_only_failed:
                self.gate.fail(phase, work.runs, f"Phase {phase.phase} failed to build: {result.reason()}")
            if together:
                tested = result
        if batched:
            for entity, load in self.batches.load(phase, batched, ahead).items():
                work.written[entity] = load.rows
                work.build_seconds[entity] = load.seconds
                ctx.progress.update(work.task, advance=1)
        self._end_phase(work, tested)

    def _run_together(self, phases: list[MigrationPhase], ahead: dict[str, int]) -> None:
        """Consecutive phases in one `dbt build`, then each phase's gate in phase order.

        dbt orders the models by their ref() graph, so an entity starts as soon as the entities it
        reads are built and tested (a failed test skips what reads it), and a phase no longer
        waits for the slowest model of the one before. One invocation instead of one per phase
        saves dbt's set-up and lets the two cores work through a phase's long tail
        (docs/benchmark.md). What a failed gate no longer stops is the building of the later
        phases: they stay unvalidated (pending), the next `cutover resume` builds and validates
        them again, and the execution's before-images cover them (`cutover rollback`).
        `--phase-by-phase` builds and validates one phase at a time instead.

        `ahead`: models of later phases built in the same build (unique id -> phase, see
        _read_ahead). One that fails, or whose test fails, concerns its own phase, not these: it
        is left out of built_ahead, so its own phase builds it again and reports the failure."""
        ctx = self.ctx
        works = [self._begin_phase(phase, self._members(phase), set()) for phase in phases]
        # a staging model two phases read belongs to the first of them, as in a phase-by-phase run
        phase_of: dict[str, int] = {}
        for work in works:
            for entity in work.runs:
                for name in [entity, *ctx.graph.support_nodes(entity)]:
                    phase_of.setdefault(f"model.{ctx.graph.package}.{name}", work.phase.phase)
        ahead = {uid: p for uid, p in ahead.items() if uid not in phase_of and uid not in ctx.built_ahead}
        nodes = sorted(uid.rsplit(".", 1)[1] for uid in [*phase_of, *ahead] if uid not in ctx.built_ahead)
        span = f"phases {phases[0].phase}..{phases[-1].phase}"
        if ahead:
            span += f" with {len(ahead)} legacy reads of phases {min(ahead.values())}..{max(ahead.values())}"
        result = self.dbt.invoke(
            ["build", "--select", *nodes, *level_excludes(ctx.options.validation_level)],
            span,
            ctx.options.dbt_vars(),
            self._on_node_finished(works),
        )
        # dbt's error events give a failed node's error too; only one with no failed node stops
        # the invocation itself (it did not run, a hook failed), and so every phase
        broken = result.error if not result.failed() else None
        parts = split_by_phase(result, broken, phase_of | ahead, ctx.project.manifest, phases[0].phase)
        if broken is None:
            ctx.built_ahead |= take_ahead(parts, ahead)
        for index, work in enumerate(works):
            part = parts.get(work.phase.phase, InvocationResult(success=broken is None, error=broken))
            try:
                self._judge_part(work, part, broken)
                self._end_phase(work, part)
            except StopRun:
                for later in works[index + 1 :]:
                    later.phase.status = "pending"
                    ctx.store.update_phase(ctx.execution.id, later.phase)
                    for run in later.runs.values():
                        run.status = "pending"
                        ctx.store.save_entity_run(ctx.execution.id, run)
                raise

    def _judge_part(self, work: PhaseWork, part: InvocationResult, broken: str | None) -> None:
        """A phase's part of a build of several: a failed test is the gate's to report (it names
        the test); a model in error, or one skipped for no failed test of this phase, stops the
        run here."""
        models = [n for n in part.nodes if n.resource_type != "test"]
        errors = [n for n in models if n.status == "error"]
        skipped = [n.name for n in models if n.status == "skipped"]
        tests_failed = any(n.status in FAILED for n in part.nodes if n.resource_type == "test")
        if broken is not None or errors or (skipped and not tests_failed):
            failure = (
                broken
                or (InvocationResult(success=False, nodes=errors).reason() if errors else None)
                or f"{', '.join(skipped[:3])} skipped after a failure upstream"
            )
            self.gate.fail(work.phase, work.runs, f"Phase {work.phase.phase} failed to build: {failure}")


def new_execution_id() -> str:
    return str(uuid.uuid4())
