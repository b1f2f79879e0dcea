"""The post-validation performance check (the client's performanceCheck): per entity, throughput
against the profile's expectation (monitoring.alerting.min_rows_per_second) and against the
previous completed execution of the same profile (a drop of more than max_slowdown %), and the
slowest models and tests of the execution from its audit trail (those past
slow_query_threshold). Never a failure: warnings, in `cutover validate`, the trail and the report.
Throughput is judged only for entities that wrote enough rows for it to mean something."""

from __future__ import annotations

from dataclasses import dataclass

from runner.audit import AuditStore
from runner.settings import EnvironmentProfile

# rows an entity must write for its rows per second to be judged (a delta writes a handful)
MIN_ROWS = 1_000
SLOWEST = 5


@dataclass(frozen=True)
class PerformanceCheck:
    subject: str
    name: str
    status: str  # passed | warning
    detail: str


# Long: the client's performanceCheck, three checks in a row over the same runs.
def performance_checks(
    store: AuditStore, execution_id: str, profile: EnvironmentProfile
) -> list[PerformanceCheck]:
    alerting = profile.monitoring.alerting
    runs = store.rows(
        "select entity, rows_written, rows_per_second::float as rate from cutover_audit.entity_runs "
        "where execution_id = %s and status = 'completed' and rows_written >= %s and rows_per_second > 0 "
        "order by entity",
        (execution_id, MIN_ROWS),
    )
    before = store.rows(
        """
        select e.id from cutover_audit.executions as e
        where e.profile = %s and e.status = 'completed'
          and e.started_at < (select started_at from cutover_audit.executions where id = %s)
        order by e.started_at desc limit 1
        """,
        (profile.name, execution_id),
    )
    previous = (
        {
            r["entity"]: r["rate"]
            for r in store.rows(
                "select entity, rows_per_second::float as rate from cutover_audit.entity_runs "
                "where execution_id = %s and rows_written >= %s and rows_per_second > 0",
                (before[0]["id"], MIN_ROWS),
            )
        }
        if before
        else {}
    )
    checks = []
    for run in runs:
        entity, rate = run["entity"], run["rate"]
        if rate < alerting.min_rows_per_second:
            checks.append(
                PerformanceCheck(
                    entity,
                    "throughput",
                    "warning",
                    f"{rate:,.0f} rows/s, below the expected {alerting.min_rows_per_second:,.0f}",
                )
            )
        was = previous.get(entity)
        if was and rate < was * (1 - alerting.max_slowdown / 100):
            checks.append(
                PerformanceCheck(
                    entity,
                    "throughput against the previous execution",
                    "warning",
                    f"{rate:,.0f} rows/s against {was:,.0f} in execution {before[0]['id']} "
                    f"({100 * (rate / was - 1):+.0f}%, more than {alerting.max_slowdown:g}% slower)",
                )
            )
    judged = len(runs)
    checks.append(
        PerformanceCheck(
            "all entities",
            "throughput",
            "warning" if any(c.status == "warning" for c in checks) else "passed",
            f"{judged} entities that wrote {MIN_ROWS:,} rows or more: "
            f"{judged - len({c.subject for c in checks})} within expectations"
            + (
                f" (compared with execution {before[0]['id']})"
                if before
                else " (no earlier execution to compare)"
            ),
        )
    )
    slowest = _slowest(store, execution_id)
    slow = [f"{name} {seconds:.1f} s" for name, seconds in slowest if seconds > alerting.slow_query_threshold]
    checks.append(
        PerformanceCheck(
            "all entities",
            "slowest models",
            "warning" if slow else "passed",
            (f"past {alerting.slow_query_threshold:g} s: {', '.join(slow)}; " if slow else "")
            + (", ".join(f"{name} {seconds:.1f} s" for name, seconds in slowest) or "no timing recorded"),
        )
    )
    return checks


def _slowest(store: AuditStore, execution_id: str) -> list[tuple[str, float]]:
    """The slowest dbt nodes of the execution (each invocation logs its slowest)."""
    longest: dict[str, float] = {}
    for name, seconds, _ in store.node_timings(execution_id):
        longest[name] = max(longest.get(name, 0.0), seconds)
    return sorted(longest.items(), key=lambda kv: kv[1], reverse=True)[:SLOWEST]
