"""The gate after each phase: the phase's tests, and per entity the reconciliation by id (every
legacy id the extraction read is migrated, quarantined or merged, exactly once: runner/
reconciliation.py), the quarantine rate against its tolerance and the contract's constraints in
the catalog; recorded as validation results, and a failed check stops the run."""

from __future__ import annotations

import time

from runner import contracts, values
from runner.audit import now
from runner.dbt import InvocationResult
from runner.errors import CutoverError
from runner.failures import class_of_reason, class_of_test
from runner.faults import checkpoint
from runner.graph import NodeGraph
from runner.model import (
    EntityRun,
    ExecutionPlan,
    MigrationExecution,
    MigrationPhase,
    ValidationCheck,
    ValidationResult,
)
from runner.reconciliation import reconcile

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


class StopRun(CutoverError):
    """A stop rule fired: an error-severity test failed or a quarantine rate is too high."""


class RollBackRun(StopRun):
    """A quarantine rate passed the rollback threshold: the execution is to be undone."""


class PhaseGate:
    """The Executor's phase gate (a mixin: it uses the Executor's dbt, log, store, settings,
    profile and project, and notes each entity's proof by id in its `proven`)."""

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
        # a test in error (it could not run) always stops; a failed or warned one by its class
        classes = self.profile.error_classes
        judged = {
            n.unique_id: class_of_test(classes, n.name, "error" if n.status == "fail" else "warn")
            for n in tests
            if n.status in ("fail", "warn")
        }
        failed = [n for n in tests if n.status == "error" or judged.get(n.unique_id) == "critical"]
        warned = [n for n in tests if judged.get(n.unique_id) in ("minor", "warning")]
        proofs = {entity: reconcile(self.store.conn, entity) for entity in members}
        self.proven.update(proofs)
        problems, over_threshold = [], []
        unaccounted = any(not pair.proved for pairs in proofs.values() for pair in pairs)
        for entity in members:
            primary = proofs[entity][0]
            legacy, migrated, quarantined, merged = (
                primary.legacy_rows or 0,
                primary.migrated_rows or 0,
                primary.quarantined_rows or 0,
                primary.merged_rows or 0,
            )
            quality = self._data_quality(entity, legacy, quarantined, merged)
            unproved = [pair for pair in proofs[entity] if not pair.proved]
            run = runs.get(entity) or EntityRun(entity, phase.phase)
            run.expected_records, run.migrated_records, run.quarantined_records = (
                legacy,
                migrated,
                quarantined,
            )
            reasons = self._quarantine_reasons(entity)
            critical = {c: n for c, n in reasons.items() if class_of_reason(classes, c) == "critical"}
            # rows quarantined for a reason of class warning do not count against the tolerance
            counted = quarantined - sum(
                n for c, n in reasons.items() if class_of_reason(classes, c) == "warning"
            )
            rate = 100.0 * counted / legacy if legacy else 0.0
            tolerance = plan.entities[entity].spec.error_tolerance
            tolerance = self.settings.error_tolerance if tolerance is None else tolerance
            declared = contracts.declared(self.project.manifest.nodes[f"model.cutover.{entity}"])
            lapsed = contracts.gaps(self.store.conn, f"app.{entity}", declared)
            copied, mismatches = (
                values.check_entity(
                    self.store.conn,
                    self.project.manifest,
                    entity,
                    plan.entities[entity].spec.legacy_tables[0],
                )
                if level == "comprehensive"
                else (0, [])
            )
            own_failed = [n for n in failed if graph.concerns(n.unique_id, entity)]
            own_warned = [n for n in warned if graph.concerns(n.unique_id, entity)]
            checks = [
                ValidationCheck(
                    "count",
                    "reconciliation by id",
                    "failed" if unproved else "passed",
                    sum(pair.legacy_rows or 0 for pair in proofs[entity]),
                    sum(pair.accounted_rows for pair in proofs[entity]),
                    "; ".join(pair.summary() for pair in proofs[entity]),
                ),
                ValidationCheck(
                    "quality",
                    "quarantine rate",
                    "passed" if rate <= tolerance else "failed",
                    f"<= {tolerance}%",
                    f"{rate:.2f}%",
                    f"{quarantined} of {legacy} rows quarantined"
                    + (
                        f" ({quarantined - counted} for reasons of class warning, not counted)"
                        if counted < quarantined
                        else ""
                    ),
                ),
                *(
                    [
                        ValidationCheck(
                            "integrity",
                            "copied values",
                            "failed" if mismatches else "passed",
                            copied,
                            copied - len(mismatches),
                            "; ".join(m.summary() for m in mismatches)
                            or f"{copied} columns copied from legacy equal it on every row",
                        )
                    ]
                    if copied
                    else []
                ),
                ValidationCheck(
                    "quality",
                    "critical quarantine reasons",
                    "failed" if critical else "passed",
                    0,
                    sum(critical.values()),
                    ", ".join(f"{n:,} rows for {c}" for c, n in critical.items()) or "none",
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
            for n in own_warned:
                if judged[n.unique_id] == "minor":
                    self.log(
                        execution,
                        "error",
                        f"test {n.name} failed (class minor): the run goes on",
                        phase.phase,
                        entity,
                    )
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
            threshold = self.settings.rollback_threshold
            if threshold is not None and rate > threshold:
                over_threshold.append(f"{entity} quarantined {rate:.1f}% of its rows")
            if rate > tolerance:
                problems.append(
                    f"{entity} quarantined {rate:.1f}% of its rows, above the tolerance of {tolerance:g}%"
                )
            problems += [
                f"{entity}: {n:,} rows quarantined for {c}, a critical reason" for c, n in critical.items()
            ]
            problems += [pair.summary() for pair in unproved]
            problems += [m.summary() for m in mismatches]
            problems += [f"test {n.name} failed" for n in own_failed]
            problems += [f"app.{entity}: {gap}" for gap in lapsed]
        if not result.success and not failed:
            problems.append(f"the validation could not run: {result.reason()}")
        self.log(
            execution,
            "validate",
            f"phase {phase.phase}: {len(tests)} tests, {len(failed)} failed, {len(warned)} warnings",
            phase.phase,
            seconds=time.perf_counter() - started,
        )
        threshold = self.settings.rollback_threshold
        processed = sum(p.records_processed for p in execution.phases)
        overall = 100.0 * sum(p.records_failed for p in execution.phases) / processed if processed else 0.0
        if threshold is not None and (over_threshold or overall > threshold):
            what = "; ".join(over_threshold) or f"the execution quarantined {overall:.1f}% of its rows so far"
            self._fail(
                execution,
                phase,
                {},
                f"Phase {phase.phase}: {what}, above the rollback threshold of {threshold:g}%",
                RollBackRun,
            )
        if problems:
            self._fail(
                execution,
                phase,
                {},
                f"Phase {phase.phase} stopped the run: {'; '.join(problems[:3])}"
                + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else "")
                + "."
                + (
                    " A full pass (`cutover run --full-pass`) compares every layer with legacy again "
                    "and restores rows removed from the target."
                    if unaccounted
                    else ""
                ),
            )

    def _quarantine_reasons(self, entity: str) -> dict[str, int]:
        """The entity's quarantined rows per reason."""
        rows = self.store.conn.execute(
            f"select reject_reason, count(*) from quarantine.quarantine_{entity} group by reject_reason"
        ).fetchall()
        return dict(rows)

    @staticmethod
    def _level_excludes(level: str) -> list[str]:
        # the reconciliation by id is the gate's own check at every level (one computation, which
        # names the ids), not its dbt test's
        return ["--exclude", *LEVEL_EXCLUDES[level], "test_name:reconciles_with_legacy"]

    def _data_quality(self, entity: str, legacy: int, quarantined: int, merged: int) -> float:
        """The share of the entity's legacy rows (merged ones aside) migrated with no data-quality
        issue, from its verdicts."""
        with_issues = self.store.conn.execute(
            f"""
            select count(*) from intermediate.int_{entity}__validated
            where reject_reason is null and cardinality(dq_issues) > 0
            """
        ).fetchone()[0]
        considered = legacy - merged
        clean = considered - quarantined - with_issues
        return round(100.0 * clean / considered, 1) if considered > 0 else 100.0

    def _fail(
        self,
        execution: MigrationExecution,
        phase: MigrationPhase,
        runs: dict[str, EntityRun],
        message: str,
        kind: type[StopRun] = StopRun,
    ) -> None:
        for run in runs.values():
            run.status, run.ended_at = "failed", now()
            self.store.save_entity_run(execution.id, run)
        phase.status, phase.ended_at = "failed", now()
        self.store.update_phase(execution.id, phase)
        self.log(execution, "error", message, phase.phase)
        raise kind(message)


def check_type(test_name: str) -> str:
    if "reconcile" in test_name or "row_count" in test_name:
        return "count"
    if "relationships" in test_name:
        return "integrity"
    if test_name.startswith(("unique", "not_null", "accepted_values", "expression_is_true")):
        return "quality"
    return "business_rule"
