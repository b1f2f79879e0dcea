"""The gate after each phase: the phase's tests, and per entity the reconciliation by id (every
legacy id the extraction read is migrated, quarantined or merged, exactly once: runner/
reconciliation.py), the quarantine rate against its tolerance and the contract's constraints in
the catalog; recorded as validation results, and a failed check stops the run."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from runner import contracts, values
from runner.audit import now
from runner.context import ExecutionContext
from runner.dbt import InvocationResult
from runner.errors import CutoverError
from runner.failures import class_of_reason, class_of_test
from runner.faults import checkpoint
from runner.invoke import DbtInvoker
from runner.model import EntityRun, MigrationPhase, ValidationCheck, ValidationResult
from runner.reconciliation import Reconciliation, reconcile
from runner.settings import VALIDATION_LEVELS

# Tests run at each validation level (dbt selection methods); comprehensive runs them all.
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
assert tuple(LEVEL_EXCLUDES) == VALIDATION_LEVELS


# Tests that validate no migrated data: the dbt unit tests of the repair rules run on their own
# fixtures (`dbt test --select test_type:unit`, and in the suite), not at a gate.
NOT_VALIDATION = ["test_type:unit"]


def level_excludes(level: str) -> list[str]:
    """The dbt --exclude arguments of a validation level. The reconciliation by id is the gate's
    own check at every level (one computation, which names the ids), not its dbt test's."""
    return ["--exclude", *LEVEL_EXCLUDES[level], *NOT_VALIDATION, "test_name:reconciles_with_legacy"]


class StopRun(CutoverError):
    """A stop rule fired: an error-severity test failed or a quarantine rate is too high."""


class RollBackRun(StopRun):
    """A quarantine rate passed the rollback threshold: the execution is to be undone."""


@dataclass
class TestResults:
    """A phase's tests as the gate judges them by their error class."""

    result: InvocationResult
    tests: list = field(default_factory=list)
    failed: list = field(default_factory=list)  # in error, or failed with class critical
    warned: list = field(default_factory=list)  # failed with class minor or warning
    classes: dict[str, str] = field(default_factory=dict)  # unique_id -> class


@dataclass
class QuarantineRate:
    """An entity's quarantined rows against its tolerance."""

    legacy: int
    quarantined: int
    counted: int  # rows quarantined for a reason of class warning do not count
    critical: dict[str, int]  # rows per reason of class critical
    tolerance: float

    @property
    def rate(self) -> float:
        return 100.0 * self.counted / self.legacy if self.legacy else 0.0


@dataclass
class Findings:
    """What the entities of one phase gave the gate to stop on."""

    problems: list[str] = field(default_factory=list)
    over_threshold: list[str] = field(default_factory=list)
    unaccounted: bool = False


class PhaseGate:
    """The gate of each phase of one execution: `validate(phase, members, runs)`."""

    def __init__(self, ctx: ExecutionContext, dbt: DbtInvoker) -> None:
        self.ctx = ctx
        self.dbt = dbt

    def validate(
        self,
        phase: MigrationPhase,
        members: list[str],
        runs: dict[str, EntityRun],
        tested: InvocationResult | None = None,
    ) -> None:
        """The phase gate. `tested`: the phase's `dbt build`, whose tests are the gate's; otherwise
        the phase's tests run here."""
        started = time.perf_counter()
        tests = self._run_tests(phase, members, tested)
        checkpoint(f"phase:{phase.phase}:validating")
        proofs = {entity: reconcile(self.ctx.store.conn, entity) for entity in members}
        self.ctx.proven.update(proofs)
        findings = Findings(unaccounted=any(not pair.proved for pairs in proofs.values() for pair in pairs))
        for entity in members:
            run = runs.get(entity) or EntityRun(entity, phase.phase)
            self._entity(phase, run, proofs[entity], tests, findings)
        if not tests.result.success and not tests.failed:
            findings.problems.append(f"the validation could not run: {tests.result.reason()}")
        self.ctx.log(
            "validate",
            f"phase {phase.phase}: {len(tests.tests)} tests, {len(tests.failed)} failed, "
            f"{len(tests.warned)} warnings",
            phase.phase,
            seconds=time.perf_counter() - started,
        )
        self._stop_if_needed(phase, findings)

    def fail(
        self,
        phase: MigrationPhase,
        runs: dict[str, EntityRun],
        message: str,
        kind: type[StopRun] = StopRun,
    ) -> None:
        """Record the phase and its entity runs as failed, and stop the run with `message`."""
        execution = self.ctx.execution
        for run in runs.values():
            run.status, run.ended_at = "failed", now()
            self.ctx.store.save_entity_run(execution.id, run)
        phase.status, phase.ended_at = "failed", now()
        self.ctx.store.update_phase(execution.id, phase)
        self.ctx.log("error", message, phase.phase)
        raise kind(message)

    # --- the steps of validate ------------------------------------------------------------------

    def _run_tests(
        self, phase: MigrationPhase, members: list[str], tested: InvocationResult | None
    ) -> TestResults:
        if tested is None:
            nodes = sorted({n for e in members for n in self.ctx.graph.support_nodes(e)} | set(members))
            command = ["test", "--select", *nodes, *level_excludes(self.ctx.options.validation_level)]
            tested = self.dbt.invoke(
                command, f"validation of phase {phase.phase}", self.ctx.options.dbt_vars(), phase=phase.phase
            )
        return self._judge(tested)

    def _judge(self, result: InvocationResult) -> TestResults:
        """A test in error (it could not run) always stops; a failed or warned one by its class."""
        tests = [n for n in result.nodes if n.resource_type == "test"]
        error_classes = self.ctx.profile.error_classes
        classes = {
            n.unique_id: class_of_test(error_classes, n.name, "error" if n.status == "fail" else "warn")
            for n in tests
            if n.status in ("fail", "warn")
        }
        failed = [n for n in tests if n.status == "error" or classes.get(n.unique_id) == "critical"]
        warned = [n for n in tests if classes.get(n.unique_id) in ("minor", "warning")]
        return TestResults(result, tests, failed, warned, classes)

    def _entity(
        self,
        phase: MigrationPhase,
        run: EntityRun,
        proofs: list[Reconciliation],
        tests: TestResults,
        findings: Findings,
    ) -> None:
        """One entity's checks, recorded; what should stop the run added to `findings`."""
        entity, primary = run.entity, proofs[0]
        legacy, migrated = primary.legacy_rows or 0, primary.migrated_rows or 0
        quarantined, merged = primary.quarantined_rows or 0, primary.merged_rows or 0
        rate = self._quarantine_rate(entity, legacy, quarantined)
        declared = contracts.declared(self.ctx.project.manifest.nodes[f"model.cutover.{entity}"])
        lapsed = contracts.gaps(self.ctx.store.conn, f"app.{entity}", declared)
        copied, mismatches = self._copied_values(entity)
        own_failed = [n for n in tests.failed if self.ctx.graph.concerns(n.unique_id, entity)]
        own_warned = [n for n in tests.warned if self.ctx.graph.concerns(n.unique_id, entity)]
        checks = [
            _proof_check(proofs),
            _rate_check(rate),
            *([_values_check(copied, mismatches)] if copied else []),
            _critical_check(rate),
            _contract_check(declared, lapsed),
            *(_test_check(n, "failed") for n in own_failed),
            *(_test_check(n, "warning") for n in own_warned),
        ]
        self._alert(phase, entity, rate, [n for n in own_warned if tests.classes[n.unique_id] == "minor"])
        run.expected_records, run.migrated_records, run.quarantined_records = legacy, migrated, quarantined
        validation = ValidationResult(
            entity=entity,
            timestamp=now(),
            checks=checks,
            record_count_match=checks[0].status == "passed",
            referential_integrity=not any("relationships" in n.name for n in own_failed)
            and not any("foreign key" in gap for gap in lapsed),
            data_quality=self._data_quality(entity, legacy, quarantined, merged),
        )
        self._record(phase, run, validation, merged)
        phase.records_processed += legacy
        phase.records_successful += migrated
        phase.records_failed += quarantined
        self.ctx.execution.total_records_processed += migrated + merged
        threshold = self.ctx.settings.rollback_threshold
        if threshold is not None and rate.rate > threshold:
            findings.over_threshold.append(f"{entity} quarantined {rate.rate:.1f}% of its rows")
        if rate.rate > rate.tolerance:
            findings.problems.append(
                f"{entity} quarantined {rate.rate:.1f}% of its rows, "
                f"above the tolerance of {rate.tolerance:g}%"
            )
        findings.problems += [
            f"{entity}: {n:,} rows quarantined for {c}, a critical reason" for c, n in rate.critical.items()
        ]
        findings.problems += [pair.summary() for pair in proofs if not pair.proved]
        findings.problems += [m.summary() for m in mismatches]
        findings.problems += [f"test {n.name} failed" for n in own_failed]
        findings.problems += [f"app.{entity}: {gap}" for gap in lapsed]

    def _quarantine_rate(self, entity: str, legacy: int, quarantined: int) -> QuarantineRate:
        reasons = dict(
            self.ctx.store.conn.execute(
                f"select reject_reason, count(*) from quarantine.quarantine_{entity} group by reject_reason"
            ).fetchall()
        )
        classes = self.ctx.profile.error_classes
        tolerance = self.ctx.plan.entities[entity].spec.error_tolerance
        return QuarantineRate(
            legacy=legacy,
            quarantined=quarantined,
            counted=quarantined
            - sum(n for c, n in reasons.items() if class_of_reason(classes, c) == "warning"),
            critical={c: n for c, n in reasons.items() if class_of_reason(classes, c) == "critical"},
            tolerance=self.ctx.settings.error_tolerance if tolerance is None else tolerance,
        )

    def _copied_values(self, entity: str) -> tuple[int, list]:
        """The value checks of copied columns, at the comprehensive level only."""
        if self.ctx.options.validation_level != "comprehensive":
            return 0, []
        spec = self.ctx.plan.entities[entity].spec
        return values.check_entity(
            self.ctx.store.conn, self.ctx.project.manifest, entity, spec.primary_legacy_table
        )

    def _alert(self, phase: MigrationPhase, entity: str, rate: QuarantineRate, minor: list) -> None:
        """Failed tests of class minor, and a quarantine rate above the alert threshold, in the trail."""
        for n in minor:
            self.ctx.log("error", f"test {n.name} failed (class minor): the run goes on", phase.phase, entity)
        alerting = self.ctx.profile.monitoring.alerting
        if alerting.enabled and rate.rate > alerting.error_threshold:
            self.ctx.log(
                "validate",
                f"{entity}: {rate.rate:.2f}% quarantined (alert threshold {alerting.error_threshold}%)",
                phase.phase,
                entity,
                alert="error_rate",
            )

    def _record(
        self, phase: MigrationPhase, run: EntityRun, validation: ValidationResult, merged: int
    ) -> None:
        """The entity's validation result, its run's status and their lines in the trail."""
        execution, store = self.ctx.execution, self.ctx.store
        issues = [
            {
                "severity": "critical",
                "category": "data_loss",
                "description": c.message,
                "affectedRecords": 0,
                "suggestion": "see logs/dbt.log",
            }
            for c in validation.checks
            if c.status == "failed"
        ]
        store.record_validation(
            execution.id, phase.phase, self.ctx.options.validation_level, validation, issues
        )
        run.status = "failed" if validation.overall_status == "failed" else "completed"
        store.save_entity_run(execution.id, run, merged, validation.data_quality)
        self.ctx.log(
            "validate",
            f"{run.entity}: {validation.overall_status}",
            phase.phase,
            run.entity,
            records=run.migrated_records,
            quarantined=run.quarantined_records,
            data_quality=validation.data_quality,
        )
        if run.status == "completed":
            self.ctx.log(
                "complete",
                f"{run.entity} migrated",
                phase.phase,
                run.entity,
                records=run.rows_written,
                seconds=run.seconds,
            )

    def _stop_if_needed(self, phase: MigrationPhase, findings: Findings) -> None:
        """Roll the execution back above the rollback threshold; stop it on any other problem."""
        threshold = self.ctx.settings.rollback_threshold
        phases = self.ctx.execution.phases
        processed = sum(p.records_processed for p in phases)
        overall = 100.0 * sum(p.records_failed for p in phases) / processed if processed else 0.0
        if threshold is not None and (findings.over_threshold or overall > threshold):
            what = (
                "; ".join(findings.over_threshold)
                or f"the execution quarantined {overall:.1f}% of its rows so far"
            )
            self.fail(
                phase,
                {},
                f"Phase {phase.phase}: {what}, above the rollback threshold of {threshold:g}%",
                RollBackRun,
            )
        problems = findings.problems
        if problems:
            self.fail(
                phase,
                {},
                f"Phase {phase.phase} stopped the run: {'; '.join(problems[:3])}"
                + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else "")
                + "."
                + (
                    " A full pass (`cutover run --full-pass`) compares every layer with legacy again "
                    "and restores rows removed from the target."
                    if findings.unaccounted
                    else ""
                ),
            )

    def _data_quality(self, entity: str, legacy: int, quarantined: int, merged: int) -> float:
        """The share of the entity's legacy rows (merged ones aside) migrated with no data-quality
        issue, from its verdicts."""
        with_issues = self.ctx.store.conn.execute(
            f"""
            select count(*) from intermediate.int_{entity}__validated
            where reject_reason is null and cardinality(dq_issues) > 0
            """
        ).fetchone()[0]
        considered = legacy - merged
        clean = considered - quarantined - with_issues
        return round(100.0 * clean / considered, 1) if considered > 0 else 100.0


# --- the checks of one entity ---------------------------------------------------------------------


def _proof_check(proofs: list[Reconciliation]) -> ValidationCheck:
    return ValidationCheck(
        "count",
        "reconciliation by id",
        "failed" if any(not pair.proved for pair in proofs) else "passed",
        sum(pair.legacy_rows or 0 for pair in proofs),
        sum(pair.accounted_rows for pair in proofs),
        "; ".join(pair.summary() for pair in proofs),
    )


def _rate_check(rate: QuarantineRate) -> ValidationCheck:
    uncounted = rate.quarantined - rate.counted
    return ValidationCheck(
        "quality",
        "quarantine rate",
        "passed" if rate.rate <= rate.tolerance else "failed",
        f"<= {rate.tolerance}%",
        f"{rate.rate:.2f}%",
        f"{rate.quarantined} of {rate.legacy} rows quarantined"
        + (f" ({uncounted} for reasons of class warning, not counted)" if uncounted else ""),
    )


def _values_check(copied: int, mismatches: list) -> ValidationCheck:
    return ValidationCheck(
        "integrity",
        "copied values",
        "failed" if mismatches else "passed",
        copied,
        copied - len(mismatches),
        "; ".join(m.summary() for m in mismatches)
        or f"{copied} columns copied from legacy equal it on every row",
    )


def _critical_check(rate: QuarantineRate) -> ValidationCheck:
    return ValidationCheck(
        "quality",
        "critical quarantine reasons",
        "failed" if rate.critical else "passed",
        0,
        sum(rate.critical.values()),
        ", ".join(f"{n:,} rows for {c}" for c, n in rate.critical.items()) or "none",
    )


def _contract_check(declared: contracts.Declared, lapsed: list[str]) -> ValidationCheck:
    return ValidationCheck(
        "integrity",
        "contract constraints",
        "failed" if lapsed else "passed",
        len(declared),
        len(declared) - len(lapsed),
        "; ".join(lapsed) or f"{len(declared)} declared keys, foreign keys and NOT NULL columns in force",
    )


def _test_check(node, status: str) -> ValidationCheck:
    return ValidationCheck(check_type(node.name), node.name, status, 0, node.message, node.message or "")


def check_type(test_name: str) -> str:
    if "reconcile" in test_name or "row_count" in test_name:
        return "count"
    if "relationships" in test_name:
        return "integrity"
    if test_name.startswith(("unique", "not_null", "accepted_values", "expression_is_true")):
        return "quality"
    return "business_rule"
