"""The client's data model of a migration execution, as typed dataclasses.

Mirrors MigrationExecution, MigrationPhase, MigrationEntity, ExecutionStep, MigrationAuditEntry
and ValidationResult of the specification; the audit store (runner.audit) persists them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

PhaseStatus = Literal["pending", "in_progress", "completed", "failed", "skipped"]
EntityStatus = Literal["pending", "migrating", "completed", "failed", "validated", "skipped"]
ExecutionStatus = Literal["preparing", "executing", "validating", "completed", "failed", "awaiting_decision"]
AuditAction = Literal["start", "progress", "complete", "error", "validate", "rollback"]
CheckStatus = Literal["passed", "failed", "warning"]

VOLUME_LIMITS = (("small", 1_000), ("medium", 10_000), ("large", 100_000))


def volume_class(rows: int) -> str:
    """small < 1K, medium < 10K, large < 100K, massive otherwise (the specification's classes)."""
    for name, limit in VOLUME_LIMITS:
        if rows < limit:
            return name
    return "massive"


@dataclass(frozen=True)
class EntitySpec:
    """One target entity as the dbt manifest describes it."""

    name: str
    phase: int
    phase_name: str
    legacy_tables: tuple[str, ...]
    dependencies: frozenset[str]
    business_criticality: str
    data_volume: str
    complexity: str
    batched: bool
    error_tolerance: float | None = None  # meta override of the profile's error tolerance

    @property
    def primary_legacy_table(self) -> str:
        return self.legacy_tables[0]


@dataclass
class ExecutionStep:
    step_number: int
    phase: int
    entities: list[str]
    can_run_in_parallel: bool
    estimated_duration: float  # seconds
    validation_checkpoint: bool


@dataclass
class PlannedEntity:
    spec: EntitySpec
    legacy_rows: int
    volume: str
    estimated_seconds: float
    # checkpointed batches of about batch_size rows each, for a batched entity's first load
    batches: int | None = None


@dataclass
class ExecutionPlan:
    phases: dict[int, str]
    entities: dict[str, PlannedEntity]
    steps: list[ExecutionStep]
    critical_path: list[str]

    @property
    def estimated_seconds(self) -> float:
        return sum(step.estimated_duration for step in self.steps)

    def entities_of_phase(self, phase: int) -> list[str]:
        return [name for name, e in self.entities.items() if e.spec.phase == phase]


@dataclass
class ValidationCheck:
    check_type: Literal["count", "integrity", "quality", "business_rule", "performance"]
    name: str
    status: CheckStatus
    expected: Any
    actual: Any
    message: str


@dataclass
class ValidationResult:
    entity: str
    timestamp: datetime
    checks: list[ValidationCheck] = field(default_factory=list)
    record_count_match: bool = True
    referential_integrity: bool = True
    data_quality: float = 100.0

    @property
    def overall_status(self) -> CheckStatus:
        statuses = {c.status for c in self.checks}
        if "failed" in statuses:
            return "failed"
        if "warning" in statuses:
            return "warning"
        return "passed"


@dataclass
class MigrationAuditEntry:
    timestamp: datetime
    execution_id: str
    phase: int | None
    entity: str | None
    action: AuditAction
    message: str
    records_affected: int | None = None
    duration: float | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class EntityRun:
    entity: str
    phase: int
    status: EntityStatus = "pending"
    started_at: datetime | None = None
    ended_at: datetime | None = None
    expected_records: int = 0
    migrated_records: int = 0
    quarantined_records: int = 0
    rows_written: int = 0
    build_seconds: float | None = None  # dbt's own time for the entity's model (or its batches)

    @property
    def seconds(self) -> float:
        if self.build_seconds is not None:
            return self.build_seconds
        if self.started_at and self.ended_at:
            return (self.ended_at - self.started_at).total_seconds()
        return 0.0


@dataclass
class MigrationPhase:
    phase: int
    name: str
    entities: list[str]
    status: PhaseStatus = "pending"
    started_at: datetime | None = None
    ended_at: datetime | None = None
    records_processed: int = 0
    records_successful: int = 0
    records_failed: int = 0
    validation_required: bool = True


@dataclass
class MigrationExecution:
    id: str
    feature_name: str
    started_at: datetime
    profile: str
    config: dict[str, Any]
    phases: list[MigrationPhase] = field(default_factory=list)
    status: ExecutionStatus = "preparing"
    current_phase: int | None = None
    ended_at: datetime | None = None
    total_records_expected: int = 0
    total_records_processed: int = 0

    @property
    def success_rate(self) -> float:
        if not self.total_records_expected:
            return 100.0
        return round(100.0 * self.total_records_processed / self.total_records_expected, 2)
