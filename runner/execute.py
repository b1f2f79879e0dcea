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
    _ready: dict[tuple[str, frozenset[str]], bool] = field(default_factory=dict)

    def _owner(self, unique_id: str) -> str | None:
        """The entity whose model reads this node directly, if any."""
        if self._owners is None:
            self._owners = {}
            for entity in self.entities:
                entity_node = self.manifest.nodes.get(f"model.{self.package}.{entity}")
                for parent in entity_node.depends_on.nodes if entity_node else []:
                    self._owners.setdefault(parent, entity)
        return self._owners.get(unique_id)

    def reads_only(self, unique_id: str, built: frozenset[str] = frozenset()) -> bool:
        """A model built from legacy tables, seeds and the `built` entities (of phases already
        validated) alone, directly or through other such models (a staging copy, the parsed plan
        documents, the verdicts of a later phase's entity whose parents are all built): nothing
        still to come reads into it, so it can be built before its own phase."""
        key = (unique_id, built)
        if key not in self._ready:
            node = self.manifest.nodes.get(unique_id)
            self._ready[key] = (
                node is not None
                and node.resource_type == "model"
                and node.name not in self.entities
                and all(
                    parent.startswith(("source.", "seed."))
                    or parent.rsplit(".", 1)[1] in built
                    or self.reads_only(parent, built)
                    for parent in node.depends_on.nodes
                )
            )
        return self._ready[key]

    def tests_of(self, models: list[str], built: frozenset[str], pending: set[str]) -> list[str]:
        """The tests that read these models and otherwise only what is built before them (legacy,
        seeds, the `built` entities and the models that read only those, apart from the
        `pending` ones), so that they can run beside them. A test that also reads a model still
        to come runs when that one is selected (indirect selection `buildable`)."""
        chosen = set(models)
        tests = []
        for unique_id, node in self.manifest.nodes.items():
            if node.resource_type != "test" or not chosen & set(node.depends_on.nodes):
                continue
            if all(
                parent in chosen
                or parent.startswith(("source.", "seed."))
                or parent.rsplit(".", 1)[1] in built
                or (parent not in pending and self.reads_only(parent, built))
                for parent in node.depends_on.nodes
            ):
                tests.append(unique_id)
        return sorted(tests)

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


@dataclass
class BatchedLoad:
    """A massive entity loading in checkpointed batches: its ranges still to load."""

    entity: str
    pending: list[tuple[int, int]]
    first_load: bool
    task: TaskID
    rows: int = 0
    seconds: float = 0.0

    @property
    def next(self) -> tuple[int, int]:
        return self.pending[0]

    @property
    def label(self) -> str:
        return f"{self.pending[0][0]}..{self.pending[0][1]}" if self.pending else "(none left)"


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
                members = _members(plan, entities, phase)
                # the batches of a first load leave a core idle: the later phases' verdicts that
                # read only what the phases before this one built are computed beside them
                # (not with --phase-by-phase, which builds one phase at a time)
                earlier = execution.phases[: execution.phases.index(phase)]
                built = frozenset(e for before in earlier for e in _members(plan, entities, before))
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
            for entity in _members(plan, entities, phase):
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
        chains = _joined(chains, graph.manifest)
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
                    execution, phase, work.runs, f"Phase {phase.phase} failed to build: {_failure(result)}"
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

    def _take_ahead(self, parts: dict[int, InvocationResult], ahead: dict[str, int]) -> None:
        """The models of later phases built ahead (see _read_ahead) that their phases need not build
        again: all of a phase's, or none when one of them, or one of their tests, failed."""
        for phase in set(ahead.values()):
            part = parts.get(phase)
            if part is not None and not part.failed():
                self.built_ahead |= {n.unique_id for n in part.nodes if n.status == "success"}

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
        self,
        execution: MigrationExecution,
        phase: MigrationPhase,
        entities: list[str],
        progress: Progress,
        ahead: list[tuple[int, list[str]]],
        options: RunOptions,
    ) -> dict[str, BatchedLoad]:
        """The checkpointed batches of a phase's massive entities, side by side: each dbt
        invocation (a round) loads the next batch of each entity that has one left (var
        cutover_batch maps each model to its range), so the batches of files run beside those of
        tasks on the other core instead of after them, and a round costs dbt's set-up once for
        both. The `ahead` models of later phases (_read_ahead), with their tests, are shared out
        among the rounds, the last rounds first (tasks alone is a single thread); one that fails
        is left to its own phase to build again and report."""
        loads = []
        for entity in entities:
            ranges = self.batch_ranges(entity, self._staged_model(entity))
            finished = self.store.finished_batches(execution.id, entity)
            empty = self._is_empty(entity)
            if finished and empty:
                # the batches recorded as done are not in the table: it was dropped or emptied
                # since (a benchmark empties the target, so does a DBA by hand); skipped, they
                # were lost, and only the reconciliation test noticed
                self.log(
                    execution,
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
                task=progress.add_task(f"  {entity} batches", total=len(ranges), rows="", rate=""),
                rows=sum(finished.values()),
            )
            progress.update(load.task, completed=len(ranges) - len(load.pending), rows=f"{load.rows:,}")
            if finished:
                self.log(
                    execution,
                    "progress",
                    f"{entity}: {len(finished)} batches already done, skipped",
                    phase.phase,
                    entity,
                    records=load.rows,
                )
            loads.append(load)
        rounds: list[dict[str, int]] = [{} for _ in range(max(len(load.pending) for load in loads))]
        for index, (later, chain) in enumerate(ahead if rounds else []):
            rounds[len(rounds) - 1 - index % len(rounds)].update(dict.fromkeys(chain, later))
        # A first load (the table absent or empty, no batch done) defers the secondary indexes and
        # foreign keys once the first batch has created the table; a resumed one finds them
        # recorded as deferred and rebuilds them after its last batch (runner/deferral.py).
        conn = self.store.conn
        try:
            self._batch_rounds(execution, phase, loads, progress, rounds, options)
        except BaseException:
            # the server may be gone too: then resume (or rollback) rebuilds them
            for load in loads:
                with contextlib.suppress(Exception):
                    deferral.restore(conn, load.entity)
            raise
        for load in loads:
            rebuild_started = time.perf_counter()
            restored = deferral.restore(conn, load.entity)
            if restored:
                seconds = time.perf_counter() - rebuild_started
                load.seconds += seconds
                self.log(
                    execution,
                    "progress",
                    f"{load.entity}: {restored} indexes and foreign keys rebuilt after the bulk load",
                    phase.phase,
                    load.entity,
                    seconds=seconds,
                )
        return {load.entity: load for load in loads}

    def _batch_rounds(
        self,
        execution: MigrationExecution,
        phase: MigrationPhase,
        loads: list[BatchedLoad],
        progress: Progress,
        rounds: list[dict[str, int]],
        options: RunOptions,
    ) -> None:
        conn = self.store.conn
        started = time.perf_counter()
        for ahead in rounds:
            batches = [load for load in loads if load.pending]
            for load in batches:
                created = load.first_load and not self._is_absent(load.entity)
                if created and not deferral.is_deferred(conn, load.entity):
                    count = deferral.defer(conn, load.entity)
                    self.log(
                        execution,
                        "progress",
                        f"{load.entity}: first load, {count} indexes and foreign keys deferred to the end",
                        phase.phase,
                        load.entity,
                    )
                    load.first_load = False
                if self.batch_failure_due(load.entity):
                    raise InjectedFailure(f"Injected failure before a batch of {load.entity} (test hook).")
            what = ", ".join(f"{load.entity} batch {load.label}" for load in batches)
            if ahead:
                models = sum(1 for uid in ahead if uid.startswith("model."))
                what += f" with {models} models of phases {min(ahead.values())}..{max(ahead.values())}"
            round_started = time.perf_counter()
            ranges = {load.entity: {"from": load.next[0], "to": load.next[1]} for load in batches}
            self.vars = {**self.base_vars, "cutover_batch": ranges}
            selected = [load.entity for load in batches]
            selected += [uid.rsplit(".", 1)[1] for uid in ahead]
            try:
                result = self.dbt(
                    execution,
                    # tests of the ahead models only: those of tasks wait for the last batch
                    [
                        "build",
                        "--select",
                        *selected,
                        "--indirect-selection",
                        "empty",
                        *self._level_excludes(options.validation_level),
                    ],
                    what,
                    phase=phase.phase,
                    entity=batches[0].entity if len(batches) == 1 else None,
                )
            finally:
                self.vars = dict(self.base_vars)
            broken = result.error if not result.failed() else None
            if broken is not None:
                raise CutoverError(f"{what[0].upper()}{what[1:]} failed: {broken}")
            if ahead:
                owners = {f"model.cutover.{load.entity}": phase.phase for load in batches} | ahead
                parts = _split_by_phase(result, None, owners, self.project.manifest, phase.phase)
                self._take_ahead(parts, ahead)
            seconds = time.perf_counter() - round_started
            # the batches that succeeded are recorded before a failed one stops the run
            nodes = {n.name: n for n in result.nodes}
            done = [load for load in batches if getattr(nodes.get(load.entity), "status", None) == "success"]
            for load in done:
                batch_from, batch_to = load.pending.pop(0)
                rows = int(nodes[load.entity].rows_affected or 0)
                self.store.record_batch(execution.id, load.entity, batch_from, batch_to, rows, seconds)
                load.rows += rows
                load.seconds += seconds
                self.batches_done_here[load.entity] = self.batches_done_here.get(load.entity, 0) + 1
                elapsed = max(time.perf_counter() - started, 1e-6)
                rate = f"{load.rows / elapsed:,.0f}"
                progress.update(load.task, advance=1, rows=f"{load.rows:,}", rate=rate)
                self.log(
                    execution,
                    "progress",
                    f"{load.entity}: batch {batch_from}..{batch_to} done",
                    phase.phase,
                    load.entity,
                    records=rows,
                    seconds=seconds,
                )
                if seconds > self.profile.monitoring.alerting.slow_query_threshold:
                    self.log(
                        execution,
                        "progress",
                        f"{load.entity}: slow batch ({seconds:.0f} s)",
                        phase.phase,
                        load.entity,
                        alert="slow_query",
                    )
            for load in done:
                checkpoint(f"batch:{load.entity}:{self.batches_done_here[load.entity]}")
            failed = [load for load in batches if load not in done]
            if failed:
                load = failed[0]
                batch_nodes = [n for n in result.nodes if n.name == load.entity]
                error = _failure(InvocationResult(success=False, nodes=batch_nodes))
                raise CutoverError(f"Batch {load.label} of {load.entity} failed: {error}")

    def _loads_in_batches(self, execution: MigrationExecution, entity: str) -> bool:
        """Checkpointed batches are for the first load of a massive entity (its table absent or
        empty) and for resuming one. An entity already loaded takes a delta's changes in one pass
        with the rest of its phase: at scale 1.0, eleven batch invocations of tasks and files
        that each found a few hundred changed rows cost 29 s of a 171 s delta cutover."""
        return bool(self.store.finished_batches(execution.id, entity)) or self._is_empty(entity)

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


def _joined(chains: list[tuple[int, list[str]]], manifest) -> list[tuple[int, list[str]]]:
    """The chains of models built ahead, joined where a model of one reads a model of another
    (a staging copy that two later entities read goes to the chain of the first), so that the
    batch rounds, which share the chains out, never build a reader before what it reads."""
    owner = {uid: index for index, (_, chain) in enumerate(chains) for uid in chain}
    root = list(range(len(chains)))

    def find(index: int) -> int:
        while root[index] != index:
            index = root[index]
        return index

    for index, (_, chain) in enumerate(chains):
        for uid in chain:
            for parent in manifest.nodes[uid].depends_on.nodes:
                if parent in owner:
                    root[find(owner[parent])] = find(index)
    groups: dict[int, tuple[int, list[str]]] = {}
    for index, (phase, chain) in enumerate(chains):
        first, models = groups.get(find(index), (phase, []))
        groups[find(index)] = (min(first, phase), models + chain)
    return list(groups.values())  # in the order of each group's first chain


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
