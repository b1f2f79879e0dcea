"""The phased cutover: each phase built, then validated, before the next starts; consecutive
phases that load nothing in batches (all of a delta's) are built by one `dbt build`, then
validated in phase order (_run_phases_together).

dbt runs in-process on one parsed manifest. Massive entities load in checkpointed batches of
legacy ids; a resumed execution skips the entities, phases and batches it already finished.
Transient failures (lost connection, deadlock, serialization failure) are retried with
exponential backoff. The audit store records every start, progress, completion, error and
validation.
"""

from __future__ import annotations

import contextlib
import re
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from runner import contracts, deferral
from runner.audit import AuditStore, now
from runner.dbt import FAILED, DbtProject, InvocationResult
from runner.errors import CutoverError
from runner.faults import checkpoint
from runner.model import (
    EntityRun,
    ExecutionPlan,
    MigrationAuditEntry,
    MigrationExecution,
    MigrationPhase,
    ValidationCheck,
    ValidationResult,
)
from runner.rollback import downstream, drop_old_before_images, in_dependency_order, take_snapshots
from runner.settings import EnvironmentProfile

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
INT_MIN, INT_MAX = -(2**31), 2**31 - 1

# Tests run at each validation level (dbt selection methods); comprehensive runs them all.
SLOWEST_NODES = 8  # per dbt invocation, in the audit trail
LEVEL_EXCLUDES = {
    "basic": [
        "test_type:singular",
        "test_name:relationships",
        "test_name:accepted_values",
        "test_name:matches_legacy_row_count",
        "test_name:expression_is_true",
    ],
    "standard": ["test_type:singular", "test_name:matches_legacy_row_count"],
    "comprehensive": [],
}


class StopRun(CutoverError):
    """A stop rule fired: an error-severity test failed or a quarantine rate is too high."""


class InjectedFailure(CutoverError):
    """A failure injected by a test (CUTOVER_FAIL_AFTER_BATCHES) to prove resume works."""


@dataclass
class NodeGraph:
    """What to build for an entity: its model and the staging, intermediate and quarantine
    models it needs, never another entity nor the models another entity reads directly (its
    verdicts, which a child's verdicts also read to learn what changed): those belong to their
    own phase."""

    manifest: object
    entities: set[str]
    package: str = "cutover"
    _cache: dict[str, list[str]] = field(default_factory=dict)
    _owners: dict[str, str] | None = None
    _legacy_only: dict[str, bool] = field(default_factory=dict)

    def _owner(self, unique_id: str) -> str | None:
        """The entity whose model reads this node directly, if any."""
        if self._owners is None:
            self._owners = {}
            for entity in self.entities:
                entity_node = self.manifest.nodes.get(f"model.{self.package}.{entity}")
                for parent in entity_node.depends_on.nodes if entity_node else []:
                    self._owners.setdefault(parent, entity)
        return self._owners.get(unique_id)

    def reads_only_legacy(self, unique_id: str) -> bool:
        """A model built from legacy tables and seeds alone, directly or through other such
        models (a staging copy, the parsed plan documents): no phase builds anything it reads,
        so it can be built before its own phase."""
        if unique_id not in self._legacy_only:
            node = self.manifest.nodes.get(unique_id)
            self._legacy_only[unique_id] = (
                node is not None
                and node.resource_type == "model"
                and node.name not in self.entities
                and all(
                    parent.startswith(("source.", "seed.")) or self.reads_only_legacy(parent)
                    for parent in node.depends_on.nodes
                )
            )
        return self._legacy_only[unique_id]

    def support_nodes(self, entity: str) -> list[str]:
        if entity not in self._cache:
            nodes = self.manifest.nodes
            found: list[str] = []
            stack = [f"model.{self.package}.{entity}"]
            seen = set(stack)
            while stack:
                for parent in nodes[stack.pop()].depends_on.nodes:
                    node = nodes.get(parent)
                    if parent in seen or node is None or node.resource_type != "model":
                        continue
                    seen.add(parent)
                    if node.name in self.entities or self._owner(parent) not in (None, entity):
                        continue
                    found.append(node.name)
                    stack.append(parent)
            self._cache[entity] = sorted(found)
        return self._cache[entity]


@dataclass
class RunOptions:
    force: bool = False
    validation_level: str = "standard"
    # Every layer compares all its rows, ignoring the change watermarks (macros/change_tracking.sql).
    full_pass: bool = False
    # Every phase is built and validated alone (see Executor._run_phases_together).
    phase_by_phase: bool = False


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
        attempts = self.settings.retry_attempts
        delay = self.settings.retry_backoff_seconds
        threads = [] if command[0] == "run-operation" else ["--threads", str(self.settings.max_concurrency)]
        for attempt in range(attempts + 1):
            started = time.perf_counter()
            result = self.project.invoke([*command, *threads, "--vars", _vars(self.vars)], on_event)
            if result.success:
                self._log_timing(execution, what, result, time.perf_counter() - started, phase, entity)
                return result
            messages = " ".join(filter(None, [result.error, *(n.message or "" for n in result.failed())]))
            transient = bool(TRANSIENT.search(messages)) and not PERMANENT.search(messages)
            if not transient or attempt == attempts:
                if transient:
                    raise CutoverError(
                        f"{what} failed {attempts + 1} times on transient errors (the last: "
                        f"{_short(messages)}); the execution can be resumed with `cutover resume`."
                    )
                return result
            self.log(
                execution,
                "error",
                f"{what}: transient failure, retrying in {delay:g} s",
                phase,
                entity,
                attempt=attempt + 1,
                error=_short(messages),
            )
            self.console.print(
                f"[yellow]transient failure in {what}; retry {attempt + 1} of {attempts} in {delay:g} s[/]"
            )
            self.sleep(delay)
            delay *= 2
        return result  # pragma: no cover - the loop always returns

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
            slowest=[[n.name, round(n.seconds, 3)] for n in slowest],
        )

    def setup(self, execution: MigrationExecution) -> None:
        """Foreign tables, helper functions and change-tracking tables once per execution; the
        mapping seeds when one has changed since its last load (or in a full pass)."""
        started = time.perf_counter()
        result = self.dbt(execution, ["run-operation", "prepare_target"], "setting up the target")
        if not result.success:
            raise CutoverError(f"Setting up the target failed: {_failure(result)}")
        self.store.conn.execute(
            "insert into intermediate.executions_on_work_tables values (%s) on conflict do nothing",
            (execution.id,),
        )
        if self.vars.get("cutover_full_pass") or not self._seeds_loaded():
            result = self.dbt(execution, ["seed"], "loading the mapping seeds")
            if not result.success:
                raise CutoverError(f"Loading the mapping seeds failed: {_failure(result)}")
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
                if len(group) > 1:
                    later = [phase for next_group in groups[index + 1 :] for phase in next_group]
                    ahead = self._read_ahead(plan, graph, later, entities, done_entities)
                    self._run_phases_together(
                        execution, plan, graph, group, entities, options, progress, ahead
                    )
                    continue
                phase = group[0]
                members = _members(plan, entities, phase)
                self._run_phase(execution, plan, graph, phase, members, done_entities, options, progress)
        return execution

    def _read_ahead(
        self,
        plan: ExecutionPlan,
        graph: NodeGraph,
        later: list[MigrationPhase],
        entities: list[str],
        done_entities: set[str],
    ) -> dict[str, int]:
        """The models of later phases that read legacy alone (graph.reads_only_legacy), each with
        the first later phase that needs it: a build of several phases builds them too. In a
        first load the phases are chains (patients, orders, products; the plans' staging,
        parsing and loading) that leave one of the two cores idle; the legacy reads and the
        parsing of the plans' documents fill it instead of lengthening phases 3 to 7."""
        ahead: dict[str, int] = {}
        for phase in later:
            for entity in _members(plan, entities, phase):
                if entity in done_entities:
                    continue
                for name in graph.support_nodes(entity):
                    unique_id = f"model.{graph.package}.{name}"
                    if graph.reads_only_legacy(unique_id):
                        ahead.setdefault(unique_id, phase.phase)
        return ahead

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
            todo = _members(plan, entities, phase)
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

    def _on_node_finished(self, works: list[PhaseWork], progress: Progress) -> Callable:
        """The dbt event callback that counts each entity's rows into its phase's progress."""
        by_entity = {entity: work for work in works for entity in work.runs}

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
    ) -> None:
        work = self._begin_phase(execution, phase, members, done_entities, progress)
        todo = list(work.runs)
        on_event = self._on_node_finished([work], progress)
        batched = [e for e in todo if plan.entities[e].spec.batched and self._loads_in_batches(execution, e)]
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
        if nodes:
            command = (
                ["build", "--select", *nodes, *self._level_excludes(options.validation_level)]
                if together
                else ["run", "--select", *nodes]
            )
            result = self.dbt(execution, command, f"phase {phase.phase}", on_event, phase.phase)
            # in a build, failed tests alone are the gate's to report; a model in error is not
            models = [n for n in result.nodes if n.resource_type != "test"]
            tests_only_failed = together and models and all(n.status != "error" for n in models)
            if not result.success and not tests_only_failed:
                self._fail(
                    execution, phase, work.runs, f"Phase {phase.phase} failed to build: {_failure(result)}"
                )
            if together:
                tested = result
        for entity in batched:
            batches_started = time.perf_counter()
            work.written[entity] = self._run_batches(execution, phase, entity, progress)
            work.build_seconds[entity] = time.perf_counter() - batches_started
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
                _members(plan, entities, phase),
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
        parts = _split_by_phase(result, broken, phase_of | ahead, self.project.manifest, phases[0].phase)
        for phase in set(ahead.values()):
            part = parts.get(phase)
            if broken is None and part is not None and not part.failed():
                self.built_ahead |= {n.unique_id for n in part.nodes if n.status == "success"}
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
                        or (_failure(InvocationResult(success=False, nodes=errors)) if errors else None)
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

    # --- massive entities: checkpointed batches ---------------------------------------------------

    def batch_ranges(self, entity: str, staged: str) -> list[tuple[int, int]]:
        """A fixed grid of legacy-id ranges (multiples of batch_size), open at both ends, so that a
        resumed execution finds the same batches whatever was inserted or deleted meanwhile."""
        size = self.settings.batch_size
        low, high = self.store.conn.execute(
            f"select coalesce(min(legacy_id), 0), coalesce(max(legacy_id), 0) from staging.{staged}"
        ).fetchone()
        first, last = low // size, high // size
        ranges = []
        for k in range(first, last + 1):
            start = INT_MIN if k == first else k * size + 1
            end = INT_MAX if k == last else (k + 1) * size
            ranges.append((start, end))
        return ranges

    def _run_batches(
        self, execution: MigrationExecution, phase: MigrationPhase, entity: str, progress: Progress
    ) -> int:
        staged = self._staged_model(entity)
        ranges = self.batch_ranges(entity, staged)
        finished = self.store.finished_batches(execution.id, entity)
        task = progress.add_task(f"  {entity} batches", total=len(ranges), rows="", rate="")
        total = sum(finished.values())
        progress.update(task, completed=sum(1 for r in ranges if r[0] in finished), rows=f"{total:,}")
        if finished:
            self.log(
                execution,
                "progress",
                f"{entity}: {len(finished)} batches already done, skipped",
                phase.phase,
                entity,
                records=total,
            )
        # A first load (the table absent or empty, no batch done) defers the secondary indexes and
        # foreign keys once the first batch has created the table; a resumed one finds them
        # recorded as deferred and rebuilds them after its last batch (runner/deferral.py).
        conn = self.store.conn
        first_load = not finished and self._is_empty(entity)
        try:
            total = self._batch_loop(
                execution, phase, entity, ranges, finished, first_load, (progress, task), total
            )
        except BaseException:
            # the server may be gone too: then resume (or rollback) rebuilds them
            with contextlib.suppress(Exception):
                deferral.restore(conn, entity)
            raise
        rebuild_started = time.perf_counter()
        restored = deferral.restore(conn, entity)
        if restored:
            self.log(
                execution,
                "progress",
                f"{entity}: {restored} indexes and foreign keys rebuilt after the bulk load",
                phase.phase,
                entity,
                seconds=time.perf_counter() - rebuild_started,
            )
        return total

    def _batch_loop(
        self,
        execution: MigrationExecution,
        phase: MigrationPhase,
        entity: str,
        ranges: list[tuple[int, int]],
        finished: dict[int, int],
        first_load: bool,
        bar: tuple[Progress, object],
        total: int,
    ) -> int:
        progress, task = bar
        conn = self.store.conn
        started = time.perf_counter()
        for batch_from, batch_to in ranges:
            if batch_from in finished:
                continue
            if first_load and not deferral.is_deferred(conn, entity) and not self._is_absent(entity):
                count = deferral.defer(conn, entity)
                self.log(
                    execution,
                    "progress",
                    f"{entity}: first load, {count} indexes and foreign keys deferred to the end",
                    phase.phase,
                    entity,
                )
                first_load = False
            if self.batch_failure_due(entity):
                raise InjectedFailure(f"Injected failure before a batch of {entity} (test hook).")
            batch_started = time.perf_counter()
            self.vars = {**self.base_vars, "cutover_batch": {"from": batch_from, "to": batch_to}}
            try:
                result = self.dbt(
                    execution,
                    ["run", "--select", entity],
                    f"{entity} batch {batch_from}..{batch_to}",
                    phase=phase.phase,
                    entity=entity,
                )
            finally:
                self.vars = dict(self.base_vars)
            if not result.success:
                raise CutoverError(f"Batch {batch_from}..{batch_to} of {entity} failed: {_failure(result)}")
            rows = sum(int(n.rows_affected or 0) for n in result.nodes if n.name == entity)
            seconds = time.perf_counter() - batch_started
            self.store.record_batch(execution.id, entity, batch_from, batch_to, rows, seconds)
            self.batches_done_here[entity] = self.batches_done_here.get(entity, 0) + 1
            checkpoint(f"batch:{entity}:{self.batches_done_here[entity]}")
            total += rows
            elapsed = max(time.perf_counter() - started, 1e-6)
            progress.update(task, advance=1, rows=f"{total:,}", rate=f"{total / elapsed:,.0f}")
            self.log(
                execution,
                "progress",
                f"{entity}: batch {batch_from}..{batch_to} done",
                phase.phase,
                entity,
                records=rows,
                seconds=seconds,
            )
            if seconds > self.profile.monitoring.alerting.slow_query_threshold:
                self.log(
                    execution,
                    "progress",
                    f"{entity}: slow batch ({seconds:.0f} s)",
                    phase.phase,
                    entity,
                    alert="slow_query",
                )
        return total

    def _loads_in_batches(self, execution: MigrationExecution, entity: str) -> bool:
        """Checkpointed batches are for the first load of a massive entity (its table absent or
        empty) and for resuming one. An entity already loaded takes a delta's changes in one pass
        with the rest of its phase: at scale 1.0, eleven batch invocations of tasks and files
        that each found a few hundred changed rows cost 29 s of a 171 s delta cutover."""
        return bool(self.store.finished_batches(execution.id, entity)) or self._is_empty(entity)

    def _exists(self, relation: str) -> bool:
        return self.store.conn.execute("select to_regclass(%s) is not null", (relation,)).fetchone()[0]

    def _is_absent(self, entity: str) -> bool:
        return not self._exists(f"app.{entity}")

    def _is_empty(self, entity: str) -> bool:
        if self._is_absent(entity):
            return True
        return self.store.conn.execute(f"select not exists (select 1 from app.{entity})").fetchone()[0]

    def batch_failure_due(self, entity: str) -> bool:
        """Test hook: CUTOVER_FAIL_AFTER_BATCHES=<entity>:<n> fails before the entity's batch n+1
        in this process, as a crash in the middle of a massive table would."""
        import os

        hook = os.environ.get("CUTOVER_FAIL_AFTER_BATCHES", "")
        name, _, count = hook.partition(":")
        return name == entity and self.batches_done_here.get(entity, 0) >= int(count or 0)

    def _staged_model(self, entity: str) -> str:
        node = self.project.manifest.nodes[f"model.cutover.{entity}"]
        table = node.meta["legacy_tables"][0]
        return "stg_legacy__" + table.removeprefix("dispatch_")

    # --- validation gate --------------------------------------------------------------------------

    def _validate_phase(
        self,
        execution: MigrationExecution,
        plan: ExecutionPlan,
        graph: NodeGraph,
        phase: MigrationPhase,
        members: list[str],
        runs: dict[str, EntityRun],
        level: str,
        tested: InvocationResult | None = None,
    ) -> None:
        """The phase gate. `tested`: the phase's `dbt build`, whose tests are the gate's; otherwise
        the phase's tests run here."""
        started = time.perf_counter()
        if tested is None:
            nodes = sorted({n for e in members for n in graph.support_nodes(e)} | set(members))
            command = ["test", "--select", *nodes, *self._level_excludes(level)]
            result = self.dbt(execution, command, f"validation of phase {phase.phase}", phase=phase.phase)
        else:
            result = tested
        checkpoint(f"phase:{phase.phase}:validating")
        tests = [n for n in result.nodes if n.resource_type == "test"]
        failed = [n for n in tests if n.status in ("fail", "error")]
        warned = [n for n in tests if n.status == "warn"]
        counts = self._entity_counts(members)
        problems = []
        for entity in members:
            legacy, migrated, quarantined, merged, quality = counts[entity]
            run = runs.get(entity) or EntityRun(entity, phase.phase)
            run.expected_records, run.migrated_records, run.quarantined_records = (
                legacy,
                migrated,
                quarantined,
            )
            rate = 100.0 * quarantined / legacy if legacy else 0.0
            tolerance = plan.entities[entity].spec.error_tolerance
            tolerance = self.settings.error_tolerance if tolerance is None else tolerance
            declared = contracts.declared(self.project.manifest.nodes[f"model.cutover.{entity}"])
            lapsed = contracts.gaps(self.store.conn, f"app.{entity}", declared)
            own_failed = [n for n in failed if _concerns(n.unique_id, entity, graph)]
            own_warned = [n for n in warned if _concerns(n.unique_id, entity, graph)]
            checks = [
                ValidationCheck(
                    "count",
                    "reconciliation",
                    "passed" if legacy == migrated + quarantined + merged else "failed",
                    legacy,
                    migrated + quarantined + merged,
                    f"{legacy} legacy = {migrated} migrated + {quarantined} quarantined + {merged} merged",
                ),
                ValidationCheck(
                    "quality",
                    "quarantine rate",
                    "passed" if rate <= tolerance else "failed",
                    f"<= {tolerance}%",
                    f"{rate:.2f}%",
                    f"{quarantined} of {legacy} rows quarantined",
                ),
                ValidationCheck(
                    "integrity",
                    "contract constraints",
                    "failed" if lapsed else "passed",
                    len(declared),
                    len(declared) - len(lapsed),
                    "; ".join(lapsed)
                    or f"{len(declared)} declared keys, foreign keys and NOT NULL columns in force",
                ),
                *(
                    ValidationCheck(check_type(n.name), n.name, "failed", 0, n.message, n.message or "")
                    for n in own_failed
                ),
                *(
                    ValidationCheck(check_type(n.name), n.name, "warning", 0, n.message, n.message or "")
                    for n in own_warned
                ),
            ]
            if (
                rate > self.profile.monitoring.alerting.error_threshold
                and self.profile.monitoring.alerting.enabled
            ):
                self.log(
                    execution,
                    "validate",
                    f"{entity}: {rate:.2f}% quarantined (alert threshold "
                    f"{self.profile.monitoring.alerting.error_threshold}%)",
                    phase.phase,
                    entity,
                    alert="error_rate",
                )
            validation = ValidationResult(
                entity=entity,
                timestamp=now(),
                checks=checks,
                record_count_match=checks[0].status == "passed",
                referential_integrity=not any("relationships" in n.name for n in own_failed)
                and not any("foreign key" in gap for gap in lapsed),
                data_quality=quality,
            )
            issues = [
                {
                    "severity": "critical",
                    "category": "data_loss",
                    "description": c.message,
                    "affectedRecords": 0,
                    "suggestion": "see logs/dbt.log",
                }
                for c in checks
                if c.status == "failed"
            ]
            self.store.record_validation(execution.id, phase.phase, level, validation, issues)
            run.status = "failed" if validation.overall_status == "failed" else "completed"
            self.store.save_entity_run(execution.id, run, merged, quality)
            self.log(
                execution,
                "validate",
                f"{entity}: {validation.overall_status}",
                phase.phase,
                entity,
                records=migrated,
                quarantined=quarantined,
                data_quality=quality,
            )
            if run.status == "completed":
                self.log(
                    execution,
                    "complete",
                    f"{entity} migrated",
                    phase.phase,
                    entity,
                    records=run.rows_written,
                    seconds=run.seconds,
                )
            phase.records_processed += legacy
            phase.records_successful += migrated
            phase.records_failed += quarantined
            execution.total_records_processed += migrated + merged
            if rate > tolerance:
                problems.append(
                    f"{entity} quarantined {rate:.1f}% of its rows, above the tolerance of {tolerance:g}%"
                )
            problems += [f"test {n.name} failed" for n in own_failed]
            problems += [f"app.{entity}: {gap}" for gap in lapsed]
        if not result.success and not failed:
            problems.append(f"the validation could not run: {_failure(result)}")
        self.log(
            execution,
            "validate",
            f"phase {phase.phase}: {len(tests)} tests, {len(failed)} failed, {len(warned)} warnings",
            phase.phase,
            seconds=time.perf_counter() - started,
        )
        if problems:
            self._fail(
                execution,
                phase,
                {},
                f"Phase {phase.phase} stopped the run: {'; '.join(problems[:3])}"
                + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else "")
                + ".",
            )

    @staticmethod
    def _level_excludes(level: str) -> list[str]:
        return ["--exclude", *LEVEL_EXCLUDES[level]] if LEVEL_EXCLUDES[level] else []

    def _entity_counts(self, entities: Iterable[str]) -> dict[str, tuple[int, int, int, int, float]]:
        counts = {}
        for entity in entities:
            row = self.store.conn.execute(
                f"""
                select
                    count(*),
                    count(*) filter (where reject_reason is not null),
                    count(*) filter (where reject_reason is null and cardinality(dq_issues) > 0),
                    {
                    "count(*) filter (where merged_into_legacy_id is not null)"
                    if self._has_merges(entity)
                    else "0"
                }
                from intermediate.int_{entity}__validated
                """
            ).fetchone()
            legacy, quarantined, with_issues, merged = (int(v) for v in row)
            migrated = self.store.conn.execute(f"select count(*) from app.{entity}").fetchone()[0]
            clean = legacy - merged - quarantined - with_issues
            quality = round(100.0 * clean / (legacy - merged), 1) if legacy - merged else 100.0
            counts[entity] = (legacy, migrated, quarantined, merged, quality)
        return counts

    def _has_merges(self, entity: str) -> bool:
        node = self.project.manifest.nodes[f"model.cutover.int_{entity}__validated"]
        return "merged_into_legacy_id" in node.columns

    def _fail(
        self, execution: MigrationExecution, phase: MigrationPhase, runs: dict[str, EntityRun], message: str
    ) -> None:
        for run in runs.values():
            run.status, run.ended_at = "failed", now()
            self.store.save_entity_run(execution.id, run)
        phase.status, phase.ended_at = "failed", now()
        self.store.update_phase(execution.id, phase)
        self.log(execution, "error", message, phase.phase)
        raise StopRun(message)


def new_execution_id() -> str:
    return str(uuid.uuid4())


def _vars(values: dict) -> str:
    import json

    return json.dumps(values)


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _members(plan: ExecutionPlan, entities: list[str], phase: MigrationPhase) -> list[str]:
    """The selected entities of a phase."""
    return [e for e in entities if plan.entities[e].spec.phase == phase.phase]


def _split_by_phase(
    result: InvocationResult, broken: str | None, phase_of: dict[str, int], manifest, first: int
) -> dict[int, InvocationResult]:
    """One build of several phases, told per phase: a model by the phase that owns it, a test
    by the latest phase among the models it reads (a relationship test belongs to the child's
    phase, whose gate it guards)."""
    nodes: dict[int, list] = {}
    for node in result.nodes:
        if node.resource_type == "test":
            test = manifest.nodes.get(node.unique_id)
            parents = test.depends_on.nodes if test is not None else []
            phase = max((phase_of[p] for p in parents if p in phase_of), default=first)
        else:
            phase = phase_of.get(node.unique_id, first)
        nodes.setdefault(phase, []).append(node)
    return {
        phase: InvocationResult(
            success=broken is None and not any(n.status in FAILED for n in part),
            nodes=part,
            error=broken,
        )
        for phase, part in nodes.items()
    }


def _failure(result: InvocationResult) -> str:
    failed = result.failed()
    if failed:
        first = failed[0]
        return f"{first.name}: {_short(first.message or 'failed', 200)}"
    return _short(result.error or "unknown error", 200)


def check_type(test_name: str) -> str:
    if "reconcile" in test_name or "row_count" in test_name:
        return "count"
    if "relationships" in test_name:
        return "integrity"
    if test_name.startswith(("unique", "not_null", "accepted_values", "expression_is_true")):
        return "quality"
    return "business_rule"


def _concerns(test_uid: str, entity: str, graph: NodeGraph) -> bool:
    """A test concerns an entity when it tests the entity or one of the models it is built from."""
    node = graph.manifest.nodes.get(test_uid)
    if node is None:
        return False
    mine = {f"model.{graph.package}.{n}" for n in [entity, *graph.support_nodes(entity)]}
    return bool(set(node.depends_on.nodes) & mine)
