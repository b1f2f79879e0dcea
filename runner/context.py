"""What one execution's collaborators share: the options of the run, the audit trail, the target's
tables as the runner checks them, and the execution's context (execution, plan, graph, options,
progress and what this process has learnt so far). runner/execute.py builds it once per run and
hands it to the dbt invoker, the batch loader and the phase gate."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Console
from rich.progress import Progress

from runner.audit import AuditStore, now
from runner.dbt import DbtProject
from runner.graph import NodeGraph
from runner.model import ExecutionPlan, MigrationAuditEntry, MigrationExecution
from runner.reconciliation import Reconciliation
from runner.settings import EnvironmentProfile, MigrationSettings


@dataclass
class RunOptions:
    force: bool = False
    validation_level: str = "standard"
    # Every layer compares all its rows, ignoring the change watermarks (macros/change_tracking.sql).
    full_pass: bool = False
    # Every phase is built and validated alone (see Executor._run_together).
    phase_by_phase: bool = False
    # Go on past the gate an execution awaiting a decision stopped at (manual_intervention).
    accept: bool = False

    def dbt_vars(self, **extra) -> dict:
        """The dbt vars of one invocation: the run's own, and `extra` (a batch's ranges)."""
        return {"cutover_setup": False, **({"cutover_full_pass": True} if self.full_pass else {}), **extra}


class Trail:
    """The audit trail of one execution (cutover_audit.audit_entries and its JSON-lines log)."""

    def __init__(self, store: AuditStore, execution: MigrationExecution) -> None:
        self.store = store
        self.execution = execution

    def log(
        self,
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
                execution_id=self.execution.id,
                phase=phase,
                entity=entity,
                action=action,
                message=message,
                records_affected=records,
                duration=seconds,
                metadata=metadata,
            )
        )


class TargetTables:
    """The target's relations as the runner checks them before it builds."""

    def __init__(self, store: AuditStore) -> None:
        self.conn = store.conn

    def exists(self, relation: str) -> bool:
        return self.conn.execute("select to_regclass(%s) is not null", (relation,)).fetchone()[0]

    def is_absent(self, entity: str) -> bool:
        return not self.exists(f"app.{entity}")

    def is_empty(self, entity: str) -> bool:
        if self.is_absent(entity):
            return True
        return self.conn.execute(f"select not exists (select 1 from app.{entity})").fetchone()[0]


@dataclass
class ExecutionContext:
    """One execution under way in this process."""

    execution: MigrationExecution
    plan: ExecutionPlan
    entities: list[str]  # the selected entities
    options: RunOptions
    project: DbtProject
    store: AuditStore
    profile: EnvironmentProfile
    console: Console
    graph: NodeGraph = field(init=False)
    trail: Trail = field(init=False)
    tables: TargetTables = field(init=False)
    progress: Progress | None = None
    # entities an earlier attempt of the execution completed (skipped unless --force)
    done_entities: set[str] = field(default_factory=set)
    # models of later phases this process already built with an earlier phase (read ahead)
    built_ahead: set[str] = field(default_factory=set)
    # entities whose gate proved by id, in this process, that every legacy id is accounted for
    proven: dict[str, list[Reconciliation]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.graph = NodeGraph(self.project.manifest, set(self.plan.entities))
        self.trail = Trail(self.store, self.execution)
        self.tables = TargetTables(self.store)

    @property
    def settings(self) -> MigrationSettings:
        return self.profile.migration

    def log(self, *args, **kwargs) -> None:
        self.trail.log(*args, **kwargs)
