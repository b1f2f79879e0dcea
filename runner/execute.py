"""The phased cutover: each phase built, then validated, before the next starts; consecutive
phases that load nothing in batches (all of a delta's) are built by one `dbt build`, then
validated in phase order (_run_phases_together).

dbt runs in-process on one parsed manifest. Massive entities load in checkpointed batches of
legacy ids; a resumed execution skips the entities, phases and batches it already finished.
Transient failures (lost connection, deadlock, serialization failure) are retried with
exponential backoff. The audit store records every start, progress, completion, error and
validation.

The batches are runner/batches.py's, the gate after each phase runner/gate.py's, and what the
phases build is read from the manifest's graph by runner/graph.py.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from runner.audit import AuditStore, now
from runner.batches import BatchLoading
from runner.dbt import FAILED, DbtProject, InvocationResult
from runner.errors import CutoverError, plain, root_cause
from runner.failures import backoff, class_of_transient
from runner.faults import checkpoint
from runner.gate import PhaseGate, StopRun
from runner.graph import NodeGraph, joined_chains, phase_members, split_by_phase
from runner.model import EntityRun, ExecutionPlan, MigrationAuditEntry, MigrationExecution, MigrationPhase
from runner.reconciliation import Reconciliation
from runner.rollback import downstream, drop_old_before_images, in_dependency_order, take_snapshots
from runner.settings import EnvironmentProfile
from runner.watch import SlowQueryWatch

TRANSIENT = re.compile(
    r"deadlock detected|could not serialize|server closed the connection|terminating connection"
    r"|connection to server .* failed|connection already closed|could not connect to server"
    r"|Connection refused|SSL SYSCALL error|canceling statement due to conflict"
    r"|the database system is (starting up|shutting down|in recovery mode)"
    r"|could not receive data|no connection to the server|connection .* lost",
    re.IGNORECASE,
)
# ... unless retrying cannot help: the settings themselves are wrong.
PERMANENT = re.compile(
    r"password authentication failed|no pg_hba.conf entry|role .* does not exist|database .* does not exist",
    re.IGNORECASE,
)

SLOWEST_NODES = 8  # per dbt invocation, in the audit trail


@dataclass
class RunOptions:
    force: bool = False
    validation_level: str = "standard"
    # Every layer compares all its rows, ignoring the change watermarks (macros/change_tracking.sql).
    full_pass: bool = False
    # Every phase is built and validated alone (see Executor._run_phases_together).
    phase_by_phase: bool = False
    # Go on past the gate an execution awaiting a decision stopped at (manual_intervention).
    accept: bool = False


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


class Executor(BatchLoading, PhaseGate):
    def __init__(
        self,
        project: DbtProject,
        store: AuditStore,
        profile: EnvironmentProfile,
        console: Console,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.project = project
        self.store = store
        self.profile = profile
        self.settings = profile.migration
        self.console = console
        self.sleep = sleep
        self.base_vars: dict = {"cutover_setup": False}
        self.vars = dict(self.base_vars)
        self.batches_done_here: dict[str, int] = {}
        # models of later phases this process already built with an earlier phase (read ahead)
        self.built_ahead: set[str] = set()
        # entities whose gate proved by id, in this process, that every legacy id is accounted for
        self.proven: dict[str, list[Reconciliation]] = {}

    # --- the trail ----------------------------------------------------------------------------

    def log(
        self,
        execution: MigrationExecution,
        action: str,
        message: str,
        phase: int | None = None,
        entity: str | None = None,
        records: int | None = None,
        seconds: float | None = None,
        **metadata,
    ) -> None:
        self.store.append(
            MigrationAuditEntry(
                timestamp=now(),
                execution_id=execution.id,
                phase=phase,
                entity=entity,
                action=action,
                message=message,
                records_affected=records,
                duration=seconds,
                metadata=metadata,
            )
        )

    # --- dbt with retries ---------------------------------------------------------------------

    def dbt(
        self,
        execution: MigrationExecution,
        command: list[str],
        what: str,
        on_event: Callable | None = None,
        phase: int | None = None,
        entity: str | None = None,
    ) -> InvocationResult:
        # transient errors are retried (major) unless the profile makes them critical
        attempts = (
            self.settings.retry_attempts if class_of_transient(self.profile.error_classes) == "major" else 0
        )
        threads = [] if command[0] == "run-operation" else ["--threads", str(self.settings.max_concurrency)]
        for attempt in range(attempts + 1):
            started = time.perf_counter()
            with self._watch(execution, what, phase, entity) as watch:
                events = _fan_out(on_event, watch and watch.on_event)
                result = self.project.invoke([*command, *threads, "--vars", _vars(self.vars)], events)
            if result.success:
                self._log_timing(execution, what, result, time.perf_counter() - started, phase, entity)
                return result
            messages = " ".join(filter(None, [result.error, *(n.message or "" for n in result.failed())]))
            transient = bool(TRANSIENT.search(messages)) and not PERMANENT.search(messages)
            if not transient or attempt == attempts:
                if transient and attempts:
                    message = (
                        f"{what} failed {attempts + 1} times on transient errors, the last: "
                        f"{root_cause(messages)}; the execution can be resumed with `cutover resume`."
                    )
                    self.log(execution, "error", message, phase, entity, error=plain(messages))
                    raise CutoverError(message)
                return result
            delay = backoff(self.settings.retry_backoff_seconds, attempt + 1, self.settings.retry_backoff)
            self.log(
                execution,
                "error",
                f"{what}: transient failure, retrying in {delay:g} s",
                phase,
                entity,
                attempt=attempt + 1,
                error=plain(messages),
            )
            self.console.print(
                f"[yellow]transient failure in {what} ({root_cause(messages, 120)}); "
                f"retry {attempt + 1} of {attempts} in {delay:g} s[/]",
                highlight=False,
            )
            self.sleep(delay)
        return result  # pragma: no cover - the loop always returns

    @contextmanager
    def _watch(
        self, execution: MigrationExecution, what: str, phase: int | None, entity: str | None
    ) -> Iterator[SlowQueryWatch | None]:
        """The slow-query alert while `what` runs (runner/watch.py): in the trail, the JSON-lines
        log and on the console, once per model that runs past the threshold and once per stall."""
        alerting = self.profile.monitoring.alerting
        if not alerting.enabled:
            yield None
            return
        threshold = alerting.slow_query_threshold

        def alert(node: str | None, seconds: float, started_any: bool) -> None:
            if node:
                message = f"slow query: {node} has been running for {seconds:.0f} s in {what}"
            elif started_any:
                message = f"slow query: {what} has started or finished no model for {seconds:.0f} s"
            else:  # a run-operation, or what dbt does before its first model
                message = f"slow query: {what} has been running for {seconds:.0f} s"
            message += f" (alert threshold {threshold:g} s)"
            self.console.print(f"[yellow]warning: {message}[/]", highlight=False)
            self.log(
                execution, "progress", message, phase, entity, seconds=seconds, alert="slow_query", node=node
            )

        with SlowQueryWatch(threshold, alert) as watch:
            yield watch

    def _log_timing(
        self,
        execution: MigrationExecution,
        what: str,
        result: InvocationResult,
        seconds: float,
        phase: int | None,
        entity: str | None,
    ) -> None:
        """Where the time of one dbt invocation went: wall seconds, the nodes' own seconds and the
        slowest nodes (the difference is dbt's per-invocation and per-node overhead)."""
        if not result.nodes:
            return
        slowest = sorted(result.nodes, key=lambda n: n.seconds, reverse=True)[:SLOWEST_NODES]
        self.log(
            execution,
            "progress",
            f"{what}: {len(result.nodes)} dbt nodes in {seconds:.1f} s",
            phase,
            entity,
            seconds=round(seconds, 3),
            nodes=len(result.nodes),
            node_seconds=round(sum(n.seconds for n in result.nodes), 3),
            slowest=[
                [n.name, round(n.seconds, 3), n.started_at.isoformat() if n.started_at else None]
                for n in slowest
            ],
        )

    def setup(self, execution: MigrationExecution) -> None:
        """Foreign tables, helper functions and change-tracking tables once per execution; the
        mapping seeds when one has changed since its last load (or in a full pass)."""
        started = time.perf_counter()
        result = self.dbt(execution, ["run-operation", "prepare_target"], "setting up the target")
        if not result.success:
            raise CutoverError(f"Setting up the target failed: {result.reason()}")
        self.store.conn.execute(
            "insert into intermediate.executions_on_work_tables values (%s) on conflict do nothing",
            (execution.id,),
        )
        if self.vars.get("cutover_full_pass") or not self._seeds_loaded():
            result = self.dbt(execution, ["seed"], "loading the mapping seeds")
            if not result.success:
                raise CutoverError(f"Loading the mapping seeds failed: {result.reason()}")
            seeds = "seeds loaded"
        else:
            seeds = "seeds unchanged since their last load"
        self.log(
            execution,
            "complete",
            f"foreign tables imported, helper functions ready, {seeds}",
            seconds=time.perf_counter() - started,
        )

    def _work_tables_lost(self, execution: MigrationExecution) -> bool:
        """The staging copies, verdicts and change tracking are unlogged tables, emptied by the
        crash recovery of the target server (dbt_project.yml). Each execution notes itself in
        one of them when it starts: if its note is gone, so is the work of its finished phases,
        which the phases still to come read."""
        if not self._exists("intermediate.executions_on_work_tables"):
            return True
        row = self.store.conn.execute(
            "select 1 from intermediate.executions_on_work_tables where execution_id = %s", (execution.id,)
        ).fetchone()
        return row is None

    def _seeds_loaded(self) -> bool:
        """Every mapping seed's table exists and was last loaded from the file and with the
        column types that the project has now (macros/record_seed_load.sql)."""
        seeds = [
            node
            for node in self.project.manifest.nodes.values()
            if node.resource_type == "seed" and node.package_name == "cutover"
        ]
        if not seeds or not self._exists("intermediate.seed_loads"):
            return False
        loaded = {
            name: (checksum, column_types, exists)
            for name, checksum, column_types, exists in self.store.conn.execute(
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

    # --- one execution --------------------------------------------------------------------------

    def run(
        self, execution: MigrationExecution, plan: ExecutionPlan, entities: list[str], options: RunOptions
    ) -> MigrationExecution:
        graph = NodeGraph(self.project.manifest, set(plan.entities))
        done_entities = {e for e, s in self.store.entity_statuses(execution.id).items() if s == "completed"}
        done_phases = {p for p, s in self.store.phase_statuses(execution.id).items() if s == "completed"}
        if options.force:
            done_entities, done_phases = set(), set()
        if (done_entities or done_phases) and self._work_tables_lost(execution):
            message = (
                "the target server has lost its unlogged staging copies and verdicts (a crash) "
                "since this execution began: every phase runs again"
            )
            self.console.print(f"[yellow]{message[0].upper()}{message[1:]}.[/]")
            self.log(execution, "progress", message)
            done_entities, done_phases = set(), set()
        if options.full_pass:
            self.base_vars["cutover_full_pass"] = True
            self.vars = dict(self.base_vars)
        execution.status = "executing"
        self.store.update_execution(execution)
        self.log(
            execution,
            "start",
            f"execution started ({len(entities)} entities, profile {execution.profile})",
            records=execution.total_records_expected,
        )
        self.setup(execution)
        self.rebuild_left_deferred(execution)
        self._forget_watermarks_of_emptied(execution, list(plan.entities))
        specs = {name: planned.spec for name, planned in plan.entities.items()}
        affected = in_dependency_order(specs, downstream(specs, entities))
        copied = take_snapshots(self.store, execution.id, affected)
        self.log(
            execution, "progress", f"before-images recorded for {len(affected)} entities", records=copied
        )
        for old, tables, rows in drop_old_before_images(self.store, self.settings.keep_before_images):
            self.log(
                execution,
                "progress",
                f"before-images of execution {old} dropped ({tables} tables): only the "
                f"{self.settings.keep_before_images} most recent executions keep theirs",
                records=rows,
            )
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rows]:>12} rows {task.fields[rate]:>10}/s"),
            TimeElapsedColumn(),
            console=self.console,
            disable=not self.profile.monitoring.progress_reporting,
        ) as progress:
            pending = []
            for phase in execution.phases:
                if phase.phase in done_phases:
                    self.log(
                        execution, "progress", f"phase {phase.phase} already completed: skipped", phase.phase
                    )
                else:
                    pending.append(phase)
            groups = self._phase_groups(execution, plan, pending, entities, done_entities, options)
            for index, group in enumerate(groups):
                later = [phase for next_group in groups[index + 1 :] for phase in next_group]
                if len(group) > 1:
                    chains = self._read_ahead(plan, graph, later, entities, done_entities)
                    ahead = {uid: phase for phase, chain in chains for uid in chain}
                    self._run_phases_together(
                        execution, plan, graph, group, entities, options, progress, ahead
                    )
                    continue
                phase = group[0]
                members = phase_members(plan, entities, phase)
                # the batches of a first load leave a core idle: the later phases' verdicts that
                # read only what the phases before this one built are computed beside them
                # (not with --phase-by-phase, which builds one phase at a time)
                earlier = execution.phases[: execution.phases.index(phase)]
                built = frozenset(e for before in earlier for e in phase_members(plan, entities, before))
                chains = self._read_ahead(plan, graph, later, entities, done_entities, built)
                if options.phase_by_phase:
                    chains = []
                self._run_phase(
                    execution, plan, graph, phase, members, done_entities, options, progress, chains
                )
        return execution

    def _read_ahead(
        self,
        plan: ExecutionPlan,
        graph: NodeGraph,
        later: list[MigrationPhase],
        entities: list[str],
        done_entities: set[str],
        built: frozenset[str] = frozenset(),
    ) -> list[tuple[int, list[str]]]:
        """The models of later phases that read legacy alone, or legacy and the `built`
        entities (graph.reads_only), not yet built ahead: per later entity, its phase and its
        models in the order they build. A build of several phases builds them too: in a first
        load the phases are chains (patients, orders, products; the plans' staging, parsing and
        loading) that leave one of the two cores idle; the legacy reads and the parsing of the
        plans' documents fill it instead of lengthening phases 3 to 7. So do the batches of
        tasks and files (see _run_batches)."""
        chains: list[tuple[int, list[str]]] = []
        taken: set[str] = set(self.built_ahead)
        for phase in later:
            for entity in phase_members(plan, entities, phase):
                if entity in done_entities:
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
            pending = taken - self.built_ahead
            chains = [(phase, chain + graph.tests_of(chain, built, pending)) for phase, chain in chains]
        return chains

    def _phase_groups(
        self,
        execution: MigrationExecution,
        plan: ExecutionPlan,
        pending: list[MigrationPhase],
        entities: list[str],
        done_entities: set[str],
        options: RunOptions,
    ) -> list[list[MigrationPhase]]:
        """The pending phases in the order they run, consecutive ones grouped when one `dbt build`
        builds them (see _run_phases_together). A phase runs alone when it loads an entity in
        batches (a first load of tasks or files) or was left half-way by an earlier attempt;
        every phase runs alone with --phase-by-phase."""
        groups: list[list[MigrationPhase]] = []
        joinable = False
        for phase in pending:
            todo = phase_members(plan, entities, phase)
            alone = (
                options.phase_by_phase
                or any(e in done_entities for e in todo)
                or any(plan.entities[e].spec.batched and self._loads_in_batches(execution, e) for e in todo)
            )
            if joinable and not alone:
                groups[-1].append(phase)
            else:
                groups.append([phase])
            joinable = not alone
        return groups

    def _begin_phase(
        self,
        execution: MigrationExecution,
        phase: MigrationPhase,
        members: list[str],
        done_entities: set[str],
        progress: Progress,
    ) -> PhaseWork:
        execution.current_phase = phase.phase
        self.store.update_execution(execution)
        phase.status, phase.started_at = "in_progress", phase.started_at or now()
        self.store.update_phase(execution.id, phase)
        self.log(execution, "start", f"phase {phase.phase} {phase.name}", phase.phase)
        task = progress.add_task(f"phase {phase.phase} {phase.name}", total=len(members), rows="", rate="")
        todo = [e for e in members if e not in done_entities]
        progress.update(task, completed=len(members) - len(todo))
        work = PhaseWork(
            phase, members, {e: EntityRun(e, phase.phase, "migrating", started_at=now()) for e in todo}, task
        )
        for run in work.runs.values():
            self.store.save_entity_run(execution.id, run)
            self.log(execution, "start", f"migrating {run.entity}", phase.phase, run.entity)
        return work

    def _on_node_finished(
        self, works: list[PhaseWork], progress: Progress, batched: Iterable[str] = ()
    ) -> Callable:
        """The dbt event callback that counts each entity's rows into its phase's progress (not
        those of the `batched` entities, which their batches count)."""
        by_entity = {entity: work for work in works for entity in work.runs if entity not in batched}

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

    def _end_phase(
        self,
        execution: MigrationExecution,
        plan: ExecutionPlan,
        graph: NodeGraph,
        work: PhaseWork,
        level: str,
        tested: InvocationResult | None,
    ) -> None:
        phase = work.phase
        execution.current_phase = phase.phase
        for entity, run in work.runs.items():
            run.rows_written = work.written.get(entity, 0)
            run.build_seconds = work.build_seconds.get(entity)
            run.ended_at = now()
        self._validate_phase(execution, plan, graph, phase, work.members, work.runs, level, tested)
        phase.status, phase.ended_at = "completed", now()
        self.store.update_phase(execution.id, phase)
        checkpoint(f"phase:{phase.phase}:completed")
        self.log(
            execution,
            "complete",
            f"phase {phase.phase} {phase.name} completed",
            phase.phase,
            records=phase.records_processed,
            seconds=(phase.ended_at - phase.started_at).total_seconds(),
        )

    def _run_phase(
        self,
        execution: MigrationExecution,
        plan: ExecutionPlan,
        graph: NodeGraph,
        phase: MigrationPhase,
        members: list[str],
        done_entities: set[str],
        options: RunOptions,
        progress: Progress,
        ahead: list[tuple[int, list[str]]] | None = None,
    ) -> None:
        """One phase alone: its models in one invocation, then its massive entities' batches (with
        the `ahead` models of later phases beside them), then its gate."""
        work = self._begin_phase(execution, phase, members, done_entities, progress)
        todo = list(work.runs)
        batched = [e for e in todo if plan.entities[e].spec.batched and self._loads_in_batches(execution, e)]
        on_event = self._on_node_finished([work], progress, batched)
        plain = [e for e in todo if e not in batched]
        nodes = sorted(
            n
            for n in {n for e in todo for n in graph.support_nodes(e)} | set(plain)
            if f"model.{graph.package}.{n}" not in self.built_ahead
        )
        # The usual phase (nothing batched, nothing done before) is built and tested by one
        # `dbt build`: each test runs as soon as its models are built and a failed one stops the
        # models downstream of it; one invocation instead of two saves a second of dbt's
        # per-invocation set-up per phase. Batches and resumed phases build, then test.
        together = not batched and set(todo) == set(members)
        tested = None
        # A massive entity's absent table is created empty with the phase's other models (an empty
        # batch), so that its secondary indexes and foreign keys are deferred before its first
        # batch: a first batch that created the table maintained them row by row (tasks 5.8 s
        # against 2.5 s for the next), and two that created theirs, each adding foreign keys to
        # orders, could only commit one after the other.
        creating = [e for e in batched if self._is_absent(e)]
        nodes += creating
        if nodes:
            command = (
                ["build", "--select", *nodes, *self._level_excludes(options.validation_level)]
                if together
                else ["run", "--select", *nodes]
            )
            empty = {entity: {"from": 1, "to": 0} for entity in creating}
            self.vars = {**self.base_vars, "cutover_batch": empty} if creating else self.vars
            try:
                result = self.dbt(execution, command, f"phase {phase.phase}", on_event, phase.phase)
            finally:
                self.vars = dict(self.base_vars)
            # in a build, failed tests alone are the gate's to report; a model in error is not
            models = [n for n in result.nodes if n.resource_type != "test"]
            tests_only_failed = together and models and all(n.status != "error" for n in models)
            if not result.success and not tests_only_failed:
                self._fail(
                    execution, phase, work.runs, f"Phase {phase.phase} failed to build: {result.reason()}"
                )
            if together:
                tested = result
        if batched:
            loads = self._run_batches(execution, phase, batched, progress, ahead or [], options)
            for entity, load in loads.items():
                work.written[entity] = load.rows
                work.build_seconds[entity] = load.seconds
                progress.update(work.task, advance=1)
        self._end_phase(execution, plan, graph, work, options.validation_level, tested)

    def _run_phases_together(
        self,
        execution: MigrationExecution,
        plan: ExecutionPlan,
        graph: NodeGraph,
        phases: list[MigrationPhase],
        entities: list[str],
        options: RunOptions,
        progress: Progress,
        ahead: dict[str, int] | None = None,
    ) -> None:
        """Consecutive phases in one `dbt build`, then each phase's gate in phase order.

        dbt orders the models by their ref() graph, so an entity starts as soon as the entities it
        reads are built and tested (a failed test skips what reads it), and a phase no longer
        waits for the slowest model of the one before. One invocation instead of one per phase
        saves dbt's set-up (flags, node selection, relation cache: 0.7 to 1.5 s each) and lets the
        two cores work through a phase's long tail (at scale 1.0 a delta took 46 to 56 s
        instead of 53 to 60 s). What a failed gate no longer stops is the building of the later
        phases: they stay unvalidated (pending), the next `cutover resume` builds and validates
        them again, and the execution's before-images cover them (`cutover rollback`).
        `--phase-by-phase` builds and validates one phase at a time instead.

        `ahead`: models of later phases built in the same build (see _read_ahead). One that
        fails, or whose test fails, concerns its own phase, not these: it is left out of
        built_ahead, so its own phase builds it again and reports the failure."""
        works = [
            self._begin_phase(
                execution,
                phase,
                phase_members(plan, entities, phase),
                set(),
                progress,
            )
            for phase in phases
        ]
        # a staging model two phases read belongs to the first of them, as in a phase-by-phase run
        phase_of: dict[str, int] = {}
        for work in works:
            for entity in work.runs:
                for name in [entity, *graph.support_nodes(entity)]:
                    phase_of.setdefault(f"model.{graph.package}.{name}", work.phase.phase)
        ahead = {
            uid: p for uid, p in (ahead or {}).items() if uid not in phase_of and uid not in self.built_ahead
        }
        nodes = sorted(uid.rsplit(".", 1)[1] for uid in [*phase_of, *ahead] if uid not in self.built_ahead)
        span = f"phases {phases[0].phase}..{phases[-1].phase}"
        if ahead:
            span += f" with {len(ahead)} legacy reads of phases {min(ahead.values())}..{max(ahead.values())}"
        result = self.dbt(
            execution,
            ["build", "--select", *nodes, *self._level_excludes(options.validation_level)],
            span,
            self._on_node_finished(works, progress),
        )
        # dbt's error events give a failed node's error too; only one with no failed node stops
        # the invocation itself (it did not run, a hook failed), and so every phase
        broken = result.error if not result.failed() else None
        parts = split_by_phase(result, broken, phase_of | ahead, self.project.manifest, phases[0].phase)
        if broken is None:
            self._take_ahead(parts, ahead)
        for index, work in enumerate(works):
            part = parts.get(work.phase.phase, InvocationResult(success=broken is None, error=broken))
            models = [n for n in part.nodes if n.resource_type != "test"]
            errors = [n for n in models if n.status == "error"]
            skipped = [n.name for n in models if n.status == "skipped"]
            tests_failed = any(n.status in FAILED for n in part.nodes if n.resource_type == "test")
            try:
                # a failed test is the gate's to report (it names the test); a model in error,
                # or one skipped for no failed test of this phase, stops the run here
                if broken is not None or errors or (skipped and not tests_failed):
                    failure = (
                        broken
                        or (InvocationResult(success=False, nodes=errors).reason() if errors else None)
                        or f"{', '.join(skipped[:3])} skipped after a failure upstream"
                    )
                    self._fail(
                        execution,
                        work.phase,
                        work.runs,
                        f"Phase {work.phase.phase} failed to build: {failure}",
                    )
                self._end_phase(execution, plan, graph, work, options.validation_level, part)
            except StopRun:
                for later in works[index + 1 :]:
                    later.phase.status = "pending"
                    self.store.update_phase(execution.id, later.phase)
                    for run in later.runs.values():
                        run.status = "pending"
                        self.store.save_entity_run(execution.id, run)
                raise

    def _take_ahead(self, parts: dict[int, InvocationResult], ahead: dict[str, int]) -> None:
        """The models of later phases built ahead (see _read_ahead) that their phases need not build
        again: all of a phase's, or none when one of them, or one of their tests, failed."""
        for phase in set(ahead.values()):
            part = parts.get(phase)
            if part is not None and not part.failed():
                self.built_ahead |= {n.unique_id for n in part.nodes if n.status == "success"}

    def _forget_watermarks_of_emptied(self, execution: MigrationExecution, entities: list[str]) -> None:
        """An empty target table has taken in nothing, whatever its watermark says: one emptied
        by hand (a DBA's TRUNCATE, or its parent's with CASCADE) kept it, and its next build
        compared only the verdicts changed since (0 rows written, and the reconciliation test
        stopped the run). Such an entity takes in every verdict again (macros/change_tracking.sql)."""
        tracked = [
            name
            for (name,) in self.store.conn.execute(
                "select model_name from intermediate.change_watermarks "
                "where changed_since is not null and model_name = any(%s)",
                (entities,),
            ).fetchall()
        ]
        for entity in tracked:
            if self._exists(f"app.{entity}") and self._is_empty(entity):
                self.store.conn.execute(
                    "update intermediate.change_watermarks set changed_since = null where model_name = %s",
                    (entity,),
                )
                self.log(
                    execution,
                    "progress",
                    f"{entity}: app.{entity} is empty, so it takes in every verdict again "
                    "(a table emptied by hand keeps the watermark of what it took in before)",
                    entity=entity,
                )

    def _exists(self, relation: str) -> bool:
        return self.store.conn.execute("select to_regclass(%s) is not null", (relation,)).fetchone()[0]

    def _is_absent(self, entity: str) -> bool:
        return not self._exists(f"app.{entity}")

    def _is_empty(self, entity: str) -> bool:
        if self._is_absent(entity):
            return True
        return self.store.conn.execute(f"select not exists (select 1 from app.{entity})").fetchone()[0]


def new_execution_id() -> str:
    return str(uuid.uuid4())


def _fan_out(*callbacks: Callable | None) -> Callable | None:
    """One dbt event callback calling each of `callbacks` that is there."""
    present = [c for c in callbacks if c]
    if not present:
        return None

    def on_event(event) -> None:
        for callback in present:
            callback(event)

    return on_event


def _vars(values: dict) -> str:
    import json

    return json.dumps(values)
