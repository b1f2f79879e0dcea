"""The use cases the CLI commands call: plan, run and resume executions (Session), validate, roll
back, report and export the quarantine. Parses dbt once per process; prints nothing but progress
(the CLI prints the results)."""

from __future__ import annotations

import getpass
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import psycopg
from psycopg import sql
from rich.console import Console

from runner import outcomes
from runner.audit import AuditStore, now
from runner.config import legacy_reader_endpoint, target_endpoint
from runner.context import ExecutionContext, RunOptions, TargetTables
from runner.dbt import DbtProject
from runner.errors import CutoverError, connection_reason
from runner.execute import Executor, new_execution_id
from runner.faults import checkpoint
from runner.gate import RollBackRun, StopRun
from runner.model import (
    ExecutionPlan,
    MigrationAuditEntry,
    MigrationExecution,
    MigrationPhase,
    ValidationCheck,
    ValidationResult,
)
from runner.performance import performance_checks
from runner.plan import (
    FINAL,
    build_plan,
    entities_from_manifest,
    parse_phase_range,
    select_entities,
    selected_by,
)
from runner.preflight import check_servers
from runner.reconciliation import reconcile
from runner.report import export, report_dir, write_reports
from runner.rollback import downstream, rollback
from runner.settings import EnvironmentProfile


@dataclass
class Selection:
    phases: str | None = None
    entities: tuple[str, ...] = ()
    with_dependencies: bool = False
    selector: str | None = None  # a named selection of selectors.yml

    def as_dict(self) -> dict:
        named = {"selector": self.selector} if self.selector else {}
        return {
            "phases": self.phases,
            "entities": list(self.entities),
            "with_dependencies": self.with_dependencies,
            **named,
        }

    @classmethod
    def from_dict(cls, saved: dict) -> Selection:
        return cls(
            saved.get("phases"),
            tuple(saved.get("entities", ())),
            bool(saved.get("with_dependencies")),
            saved.get("selector"),
        )


def legacy_counts(tables: set[str]) -> dict[str, int]:
    """Live row counts of the legacy tables, read directly with the read-only role."""
    endpoint = legacy_reader_endpoint()
    counts = {}
    with psycopg.connect(endpoint.conninfo()) as conn:
        for table in sorted(tables):
            query = sql.SQL("select count(*) from {}").format(sql.Identifier(table))
            try:
                counts[table] = conn.execute(query).fetchone()[0]
            except psycopg.errors.InsufficientPrivilege as exc:
                raise CutoverError(
                    f"The legacy role {endpoint.user} may not read legacy table {table} "
                    f"({exc.diag.message_primary}): grant it SELECT there."
                ) from exc
    return counts


class Session:
    """One runner process: settings, the parsed dbt project and the audit store."""

    def __init__(self, profile: EnvironmentProfile, console: Console) -> None:
        self.profile = profile
        self.console = console
        self.project = DbtProject(target=profile.dbt_target)
        self._store: AuditStore | None = None

    @property
    def store(self) -> AuditStore:
        if self._store is None:
            self._store = AuditStore(target_endpoint())
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def specs(self):
        if self.project.manifest is None:
            with self.console.status("Parsing the dbt project"):
                self.project.parse()
        return entities_from_manifest(self.project.manifest)

    def plan(self, only: list[str] | None = None) -> ExecutionPlan:
        """The plan of every entity, or of these (with their dependencies among them)."""
        specs = self.specs()
        if only is not None:
            specs = {
                name: replace(spec, dependencies=frozenset(spec.dependencies) & set(only))
                for name, spec in specs.items()
                if name in only
            }
        tables = {t for spec in specs.values() for t in spec.legacy_tables}
        history = self.store.throughput()
        return build_plan(specs, legacy_counts(tables), history, self.profile.migration.batch_size)

    def selected(self, plan: ExecutionPlan, selection: Selection) -> list[str]:
        specs = {name: e.spec for name, e in plan.entities.items()}
        if selection.selector:
            if selection.phases or selection.entities or selection.with_dependencies:
                raise CutoverError(
                    "--select names a whole selection: drop --phase, --entity and --with-dependencies."
                )
            return selected_by(self.project, selection.selector, specs)
        try:
            phases = parse_phase_range(selection.phases, set(plan.phases)) if selection.phases else None
            return select_entities(specs, phases, selection.entities, selection.with_dependencies)
        except ValueError as exc:
            raise CutoverError(str(exc)) from exc

    # --- run / resume ---------------------------------------------------------------------------

    def run(self, selection: Selection, options: RunOptions) -> MigrationExecution:
        check_servers()
        self.store.check_provisioned()
        plan = self.plan()
        entities = self.selected(plan, selection)
        self._check_dependencies(plan, entities)
        # the target is this process's before anything is said about its executions: the loser
        # of two concurrent runs says only that the other holds it
        with self.store.locked():
            unfinished = self._unfinished(selection)
            if unfinished and not options.force:
                self.console.print(
                    f"Continuing unfinished execution {unfinished['id']} (its completed "
                    "phases are skipped; --force starts a new one)."
                )
                return self._execute(self._load(unfinished, plan), plan, entities, options)
            execution = self._new_execution(plan, entities, selection)
            return self._execute(execution, plan, entities, options)

    def resume(self, execution_id: str | None, options: RunOptions) -> MigrationExecution:
        check_servers()
        self.store.check_provisioned()
        with self.store.locked():
            row = self.store.execution(execution_id)
            if row is None:
                raise CutoverError(self.store.no_execution(execution_id))
            if options.accept:
                self._accept(row)
            elif row["status"] == "awaiting_decision":
                self.console.print(
                    f"Execution {row['id']} awaits a decision; without --accept its stopped gate runs again."
                )
            if row["status"] == "completed":
                # a run stopped before it recorded its execution (the first second) left no
                # row behind: the latest one is the completed execution before it
                ended = f"{row['ended_at']:%Y-%m-%d %H:%M:%S}"
                if execution_id:
                    raise CutoverError(
                        f"Execution {row['id']} completed at {ended}: there is nothing to resume."
                    )
                raise CutoverError(
                    f"The latest execution, {row['id']}, completed at {ended}: there is nothing to "
                    "resume (a run stopped before it recorded an execution changed no rows; start it "
                    "again with `cutover run`)."
                )
            plan = self.plan()
            selection = Selection.from_dict(row["selection"] or {})
            entities = self.selected(plan, selection)
            return self._execute(self._load(row, plan), plan, entities, options)

    def _accept(self, row: dict) -> None:
        """Go on past the gate an execution awaits a decision at: its phase and entities count as
        validated, on the record with the operating-system user who accepted."""
        if row["status"] != "awaiting_decision":
            raise CutoverError(
                f"Execution {row['id']} does not await a decision (it is {row['status']}): "
                "--accept goes on past a gate that stopped an execution with manual_intervention."
            )
        user = getpass.getuser()
        phases = self.store.rows(
            "select phase from cutover_audit.phases where execution_id = %s and status = 'failed'",
            (row["id"],),
        )
        entities = self.store.rows(
            "select entity, phase from cutover_audit.entity_runs "
            "where execution_id = %s and status = 'failed'",
            (row["id"],),
        )
        with self.store.conn.transaction():
            self.store.conn.execute(
                "update cutover_audit.entity_runs set status = 'completed' "
                "where execution_id = %s and status = 'failed'",
                (row["id"],),
            )
            self.store.conn.execute(
                "update cutover_audit.phases set status = 'completed' "
                "where execution_id = %s and status = 'failed'",
                (row["id"],),
            )
            self.store.append(
                MigrationAuditEntry(
                    timestamp=now(),
                    execution_id=str(row["id"]),
                    phase=phases[0]["phase"] if phases else None,
                    entity=None,
                    action="validate",
                    message=(
                        f"gate of phase {', '.join(str(p['phase']) for p in phases)} accepted by {user} "
                        f"(failed: {', '.join(e['entity'] for e in entities) or 'no entity'}); "
                        f"it had stopped the execution: {row['message']}"
                    ),
                    metadata={"accepted_by": user, "entities": [e["entity"] for e in entities]},
                )
            )
        self.console.print(f"Gate accepted by {user}: execution {row['id']} goes on.")

    def _check_dependencies(self, plan: ExecutionPlan, entities: list[str]) -> None:
        """Every parent of a selected entity is selected too, or already in the target."""
        chosen = set(entities)
        for entity in entities:
            for parent in sorted(plan.entities[entity].spec.dependencies - chosen):
                if not TargetTables(self.store).exists(f"app.{parent}"):
                    raise CutoverError(
                        f"{entity} depends on {parent}, which is not migrated yet: add "
                        "--with-dependencies or run its phase first."
                    )

    def _unfinished(self, selection: Selection) -> dict | None:
        """The latest execution, if it stopped with this selection and was not rolled back since."""
        row = self.store.execution()
        if row and row["status"] not in ("completed",) and (row["selection"] or {}) == selection.as_dict():
            undone = self.store.conn.execute(
                "select exists (select from cutover_audit.snapshots where execution_id = %s "
                "and restored_at is not null)",
                (row["id"],),
            ).fetchone()[0]
            return None if undone else row
        return None

    def _new_execution(
        self, plan: ExecutionPlan, entities: list[str], selection: Selection
    ) -> MigrationExecution:
        phases = sorted({plan.entities[e].spec.phase for e in entities})
        execution = MigrationExecution(
            id=new_execution_id(),
            feature_name="legacy cutover",
            started_at=now(),
            profile=self.profile.name,
            config=self.profile.as_dict(),
            phases=[
                MigrationPhase(p, plan.phases[p], [e for e in entities if plan.entities[e].spec.phase == p])
                for p in phases
            ],
            total_records_expected=sum(plan.entities[e].legacy_rows for e in entities),
        )
        self.store.create_execution(execution, selection.as_dict())
        return execution

    def _load(self, row: dict, plan: ExecutionPlan) -> MigrationExecution:
        phases = self.store.rows(
            "select * from cutover_audit.phases where execution_id = %s order by phase", (row["id"],)
        )
        execution = MigrationExecution(
            id=str(row["id"]),
            feature_name=row["feature_name"],
            started_at=row["started_at"],
            profile=row["profile"],
            config=row["config"],
            status=row["status"],
            total_records_expected=row["total_records_expected"],
            # the rows of the phases already completed; the phases run again add theirs
            total_records_processed=self.store.completed_records(str(row["id"])),
            phases=[
                MigrationPhase(
                    p["phase"],
                    p["name"],
                    plan.entities_of_phase(p["phase"]),
                    p["status"],
                    p["started_at"],
                    p["ended_at"],
                )
                for p in phases
            ],
        )
        return execution

    def _execute(
        self, execution: MigrationExecution, plan: ExecutionPlan, entities: list[str], options: RunOptions
    ) -> MigrationExecution:
        ctx = ExecutionContext(
            execution, plan, entities, options, self.project, self.store, self.profile, self.console
        )
        executor = Executor(ctx)
        try:
            executor.run()
            self._post_validate(executor)
            self._record_outcomes(ctx)
            execution.status, execution.ended_at = "completed", now()
            self.store.update_execution(execution)
            ctx.log(
                "complete",
                "execution completed",
                records=execution.total_records_processed,
                seconds=(execution.ended_at - execution.started_at).total_seconds(),
            )
        except RollBackRun as exc:
            try:
                message = self._roll_back(ctx, str(exc))
            except CutoverError as failure:
                message = f"{str(exc).rstrip('.')}; rolling the execution back failed: {failure}"
            self._failed(ctx, message)
            raise CutoverError(message) from exc
        except StopRun as exc:
            if self.profile.migration.manual_intervention:
                message = (
                    f"{str(exc).rstrip('.')}. Execution {execution.id} awaits a decision: "
                    "`cutover resume --accept` goes on past this gate, `cutover rollback --all` undoes it."
                )
                self._failed(ctx, message, "awaiting_decision")
                raise StopRun(message) from exc
            self._failed(ctx, str(exc))
            raise
        except CutoverError as exc:
            self._failed(ctx, str(exc))
            raise
        except KeyboardInterrupt:
            self._failed(ctx, "interrupted by the operator")
            raise
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            # the target crashed or went away: nothing can be recorded there any more
            message = (
                f"The connection to the target server was lost during execution {execution.id} "
                f"({connection_reason(exc)}): when the server is back, `cutover resume` carries the "
                "execution on from its last checkpoint."
            )
            self.store.log_to_file(execution.id, "error", message, detail=str(exc))
            raise CutoverError(message) from exc
        return execution

    def _roll_back(self, ctx: ExecutionContext, why: str) -> str:
        """Undo the execution (every entity it took a before-image of); the one sentence that says so."""
        execution = ctx.execution
        entities = [
            r["entity"]
            for r in self.store.rows(
                "select entity from cutover_audit.snapshots where execution_id = %s", (execution.id,)
            )
        ]
        specs = {name: planned.spec for name, planned in ctx.plan.entities.items()}
        counts = rollback(self.store, specs, execution.id, entities)
        message = (
            f"{why.rstrip('.')}: execution {execution.id} was rolled back to its before-images "
            f"({len(counts)} entities)."
        )
        ctx.log("rollback", message, records=sum(counts.values()))
        return message

    def _failed(self, ctx: ExecutionContext, message: str, status: str = "failed") -> None:
        execution = ctx.execution
        execution.status, execution.ended_at = status, now()
        self.store.update_execution(execution, message)
        ctx.log("error", message)
        try:
            self._record_outcomes(ctx)
        except psycopg.Error as exc:
            # the stop's own message stands; what the report lacks it says
            self.store.log_to_file(execution.id, "error", "outcomes not recorded", detail=str(exc))

    def _record_outcomes(self, ctx: ExecutionContext) -> None:
        """Where every legacy row stands at the end of the execution, for its report and the
        comparison with the next one (cutover_audit.outcomes)."""
        started = time.monotonic()
        count = outcomes.record(self.store.conn, ctx.execution.id)
        ctx.log(
            "progress",
            f"outcome of every legacy row recorded ({count} id sets)",
            seconds=round(time.monotonic() - started, 3),
        )

    def _post_validate(self, executor: Executor) -> None:
        """Overall integrity and audit completeness: the audit relations over every entity, and
        their tests, when every entity exists in the target."""
        ctx = executor.ctx
        ctx.execution.status = "validating"
        self.store.update_execution(ctx.execution)
        missing = [e for e in ctx.plan.entities if not ctx.tables.exists(f"app.{e}")]
        if missing:
            ctx.log(
                "validate",
                f"overall validation skipped: {len(missing)} entities not built yet",
                missing=missing,
            )
            return
        # the proof by id is the runner's own, below (one computation, naming the ids), not the
        # test on audit.reconciliation that plain dbt runs
        proof_tests = [
            node.name
            for node in self.project.manifest.nodes.values()
            if node.resource_type == "test" and "model.cutover.reconciliation" in node.depends_on.nodes
        ]
        command = ["build", "--select", "audit", *(["--exclude", *proof_tests] if proof_tests else [])]
        result = executor.dbt.invoke(command, "overall validation", ctx.options.dbt_vars())
        checkpoint("post-validation")
        # the proof by id over every entity: the gates of this process proved theirs after the
        # build (no later phase writes an earlier one's table), the others are proved here
        proofs = [
            pair
            for entity in ctx.plan.entities
            for pair in ctx.proven.get(entity) or reconcile(self.store.conn, entity)
        ]
        unproved = [pair for pair in proofs if not pair.proved]
        ctx.log(
            "validate",
            f"overall reconciliation by id: {sum(p.legacy_rows or 0 for p in proofs):,} legacy ids read, "
            f"{sum(p.unexplained_rows or 0 for p in proofs):,} unexplained",
            records=sum(p.unexplained_rows or 0 for p in proofs),
            unproved=[pair.summary() for pair in unproved],
        )
        if unproved:
            raise StopRun(
                "The overall validation found legacy rows not accounted for: "
                + "; ".join(pair.summary() for pair in unproved[:3])
                + (f" (and {len(unproved) - 3} more tables)" if len(unproved) > 3 else "")
                + "."
            )
        if not result.success:
            raise StopRun(f"The overall validation failed: {[n.name for n in result.failed()][:3]}.")
        self._check_performance(ctx)

    def _check_performance(self, ctx: ExecutionContext) -> None:
        """Throughput and the slowest models, as warnings (runner/performance.py): recorded as the
        validation of "performance" and in the trail."""
        checks = performance_checks(self.store, ctx.execution.id, self.profile)
        result = ValidationResult(
            entity="performance",
            timestamp=now(),
            checks=[
                ValidationCheck("performance", f"{c.name} ({c.subject})", c.status, "", "", c.detail)
                for c in checks
            ],
        )
        self.store.record_validation(ctx.execution.id, None, "performance", result, [])
        warnings = [f"{c.subject}: {c.detail}" for c in checks if c.status == "warning"]
        ctx.log(
            "validate",
            "performance: " + ("; ".join(warnings) if warnings else "every entity within expectations"),
            **({"alert": "performance"} if warnings else {}),
        )
        for warning in warnings:
            self.console.print(f"[yellow]warning: performance: {warning}[/]", highlight=False)


# --- the other use cases ----------------------------------------------------------------------------


def validate(profile: EnvironmentProfile, level: str | None, select: str | None, console: Console) -> list:
    """The validation framework alone: pre-validation, per-entity checks (of a named selection,
    or `final`: every entity at the comprehensive level), post-validation; every check."""
    from runner.validate import entity_validation, post_validation, pre_validation

    if select == FINAL:
        if level not in (None, "comprehensive"):
            raise CutoverError("--select final validates at the comprehensive level: drop --level.")
        level, select = "comprehensive", None
    project = DbtProject(target=profile.dbt_target)
    with console.status("Parsing the dbt project"):
        project.parse()
    specs = entities_from_manifest(project.manifest)
    chosen = selected_by(project, select, specs) if select else list(specs)
    checks = pre_validation(project)
    if not any(c.status == "failed" for c in checks):
        with console.status("Running the entity checks"):
            checks += entity_validation(
                project, level or profile.migration.validation_level, chosen if select else None
            )
        with AuditStore(target_endpoint()) as store:
            checks += post_validation(store, chosen, profile)
    return checks


@dataclass
class RollbackScope:
    """What to roll back: exactly one of these."""

    entities: tuple[str, ...] = ()
    phase: int | None = None
    everything: bool = False
    select: str | None = None

    def __post_init__(self) -> None:
        if sum(bool(x) for x in (self.entities, self.phase is not None, self.everything, self.select)) != 1:
            raise CutoverError(
                "Say what to roll back: --entity NAME, --phase N, --select NAME or --all (exactly one)."
            )

    def chosen(self, project: DbtProject, specs: dict) -> list[str]:
        if self.everything:
            return list(specs)
        if self.select:
            return selected_by(project, self.select, specs)
        if self.phase is not None:
            chosen = [name for name, spec in specs.items() if spec.phase == self.phase]
            if not chosen:
                raise CutoverError(
                    f"There is no phase {self.phase}: phases are {min(s.phase for s in specs.values())} "
                    f"to {max(s.phase for s in specs.values())}."
                )
            return chosen
        unknown = [e for e in self.entities if e not in specs]
        if unknown:
            raise CutoverError(f"Unknown entity {unknown[0]!r}: choose among {', '.join(specs)}.")
        return list(self.entities)


def roll_back(
    profile: EnvironmentProfile,
    scope: RollbackScope,
    execution_id: str | None,
    confirm: Callable[[str, list[str]], None],
    console: Console,
) -> tuple[str, dict[str, int]]:
    """Return the chosen entities, and everything downstream of them, to their state before an
    execution (default: the last); `confirm(execution, entities)` is asked first and raises to
    refuse. The execution's id and the rows restored per entity."""
    project = DbtProject(target=profile.dbt_target)
    with console.status("Parsing the dbt project"):
        project.parse()
    specs = entities_from_manifest(project.manifest)
    chosen = scope.chosen(project, specs)
    with AuditStore(target_endpoint()) as store:
        eid = str(store.recorded_execution(execution_id)["id"])
        confirm(eid, sorted(downstream(specs, chosen)))
        with store.locked(f"rollback-{eid}"):
            return eid, rollback(store, specs, eid, chosen)


def write_report(
    execution_id: str | None, compare_with: str | None, output: Path | None
) -> tuple[Path, Path]:
    """The rehearsal report of an execution (default: the last one), HTML and Markdown."""
    with AuditStore(target_endpoint()) as store:
        row = store.recorded_execution(execution_id)
        other = str(store.recorded_execution(compare_with)["id"]) if compare_with else None
        return write_reports(store, str(row["id"]), output, other)


def export_quarantine(
    entities: tuple[str, ...],
    reasons: tuple[str, ...],
    execution_id: str | None,
    fmt: str,
    output: Path | None,
) -> tuple[list, int]:
    """The quarantined rows, one file per entity; the files and the rows the execution
    quarantined that have left the quarantine since."""
    with AuditStore(target_endpoint()) as store:
        eid = str(store.recorded_execution(execution_id)["id"]) if execution_id else None
        directory = output or report_dir() / "quarantine"
        return export.export_quarantine(store.conn, directory, fmt, entities, reasons, eid)
