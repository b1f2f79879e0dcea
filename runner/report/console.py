"""What the runner shows on the console: the plan and the status of an execution. Everything
comes from the plan or the audit tables: counts, durations and names, no row data."""

from __future__ import annotations

import json

from rich.table import Table

from runner.audit import AuditStore
from runner.model import ExecutionPlan

# an entity run's figures, as the status and the report show them
ENTITY_COLUMNS = (
    "entity",
    "phase",
    "status",
    "legacy",
    "migrated",
    "quarantined",
    "merged",
    "written",
    "seconds",
    "rows/s",
    "quality",
)


def duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    return f"{int(seconds // 60)} min {seconds % 60:.0f} s"


# --- plan --------------------------------------------------------------------------------------


def plan_table(plan: ExecutionPlan) -> Table:
    table = Table(
        title=f"Execution plan: {len(plan.entities)} entities in {len(plan.phases)} phases, "
        f"estimated {duration(plan.estimated_seconds)}"
    )
    for column in ("step", "phase", "entities (parallel)", "legacy rows", "volume", "estimate", "checkpoint"):
        table.add_column(column, no_wrap=column != "entities (parallel)")
    for step in plan.steps:
        entities = plan.entities
        table.add_row(
            str(step.step_number),
            f"{step.phase} {plan.phases[step.phase]}",
            ", ".join(step.entities) + (" (parallel)" if step.can_run_in_parallel else ""),
            ", ".join(f"{entities[e].legacy_rows:,}" for e in step.entities),
            ", ".join(
                entities[e].volume + (f" ({_batches(entities[e].batches)})" if entities[e].batches else "")
                for e in step.entities
            ),
            duration(step.estimated_duration),
            "validate" if step.validation_checkpoint else "",
        )
    table.caption = "Critical path: " + " -> ".join(plan.critical_path)
    return table


def _batches(count: int) -> str:
    return "1 batch" if count == 1 else f"{count:,} batches"


def plan_json(plan: ExecutionPlan) -> str:
    return json.dumps(
        {
            "phases": [{"phase": number, "name": name} for number, name in sorted(plan.phases.items())],
            "steps": [
                {
                    "stepNumber": step.step_number,
                    "phase": step.phase,
                    "entities": step.entities,
                    "canRunInParallel": step.can_run_in_parallel,
                    "estimatedDuration": round(step.estimated_duration, 1),
                    "validationCheckpoint": step.validation_checkpoint,
                }
                for step in plan.steps
            ],
            "entities": {
                name: {
                    "phase": e.spec.phase,
                    "dependencies": sorted(e.spec.dependencies),
                    "legacyTables": list(e.spec.legacy_tables),
                    "legacyRows": e.legacy_rows,
                    "dataVolume": e.volume,
                    "batched": e.spec.batched,
                    "batches": e.batches,
                    "businessCriticality": e.spec.business_criticality,
                    "complexity": e.spec.complexity,
                    "estimatedSeconds": round(e.estimated_seconds, 2),
                }
                for name, e in plan.entities.items()
            },
            "criticalPath": plan.critical_path,
            "estimatedSeconds": round(plan.estimated_seconds, 1),
        },
        indent=2,
    )


# --- status ------------------------------------------------------------------------------------


def execution_data(store: AuditStore, execution_id: str | None) -> dict:
    execution = store.execution(execution_id)
    eid = execution["id"]
    return {
        "execution": execution,
        "phases": store.rows(
            "select * from cutover_audit.phases where execution_id = %s order by phase", (eid,)
        ),
        "entities": store.rows(
            "select * from cutover_audit.entity_runs where execution_id = %s order by phase, entity", (eid,)
        ),
        "validations": store.rows(
            "select phase, entity, overall_status, checks from cutover_audit.validation_results "
            "where execution_id = %s order by id",
            (eid,),
        ),
        "batches": store.rows(
            "select entity, count(*) as batches, sum(rows_written) as rows "
            "from cutover_audit.batch_checkpoints where execution_id = %s group by entity",
            (eid,),
        ),
        "rollback": store.rows(
            "select count(*) filter (where restored_at is not null) as restored, count(*) as entities, "
            "max(restored_at) as at from cutover_audit.snapshots where execution_id = %s",
            (eid,),
        )[0],
    }


def status_text(data: dict) -> str:
    """The execution's status, and whether a rollback undid it since (snapshots.restored_at)."""
    status, rollback = data["execution"]["status"], data["rollback"]
    if not rollback["restored"]:
        return status
    if rollback["restored"] == rollback["entities"]:
        return f"{status}, then rolled back ({rollback['at']:%Y-%m-%d %H:%M:%S %Z})"
    return (
        f"{status}, then partly rolled back ({rollback['restored']} of {rollback['entities']} "
        f"entities, {rollback['at']:%Y-%m-%d %H:%M:%S %Z})"
    )


def status_tables(store: AuditStore, execution_id: str | None) -> list:
    data = execution_data(store, execution_id)
    e = data["execution"]
    header = Table(show_header=False, title=f"Execution {e['id']}")
    header.add_row("status", status_text(data))
    header.add_row("profile", e["profile"])
    header.add_row("started", f"{e['started_at']:%Y-%m-%d %H:%M:%S %Z}")
    header.add_row("ended", f"{e['ended_at']:%Y-%m-%d %H:%M:%S %Z}" if e["ended_at"] else "-")
    header.add_row("current phase", str(e["current_phase"] or "-"))
    header.add_row("rows", f"{e['total_records_processed']:,} of {e['total_records_expected']:,}")
    if e["message"]:
        header.add_row("message", e["message"])
    unvalidated = not_validated(data)
    if unvalidated:
        header.add_row("not validated", unvalidated)
    phases = Table("phase", "name", "status", "legacy", "migrated", "quarantined", "duration", title="Phases")
    for p in data["phases"]:
        seconds = (
            (p["ended_at"] - p["started_at"]).total_seconds() if p["ended_at"] and p["started_at"] else 0
        )
        phases.add_row(
            str(p["phase"]),
            p["name"],
            p["status"],
            f"{p['records_processed']:,}",
            f"{p['records_successful']:,}",
            f"{p['records_failed']:,}",
            duration(seconds),
        )
    entities = Table(title="Entities")
    # Names, statuses and numbers never wrap or shorten: a narrow terminal scrolls instead.
    for column in ENTITY_COLUMNS:
        entities.add_column(column, no_wrap=True)
    for r in data["entities"]:
        entities.add_row(
            r["entity"],
            str(r["phase"]),
            r["status"],
            f"{r['expected_records']:,}",
            f"{r['migrated_records']:,}",
            f"{r['quarantined_records']:,}",
            f"{r['merged_records']:,}",
            f"{r['rows_written']:,}",
            str(r["seconds"] or ""),
            str(r["rows_per_second"] or ""),
            str(r["data_quality"] or ""),
        )
    return [header, phases, entities]


def not_validated(data: dict) -> str:
    """The entities of an execution that did not pass their gate: a stopped run may have written
    their rows already (a build of several phases), which the audit views then describe."""
    if data["execution"]["status"] == "completed":
        return ""
    names = [r["entity"] for r in data["entities"] if r["status"] != "completed"]
    if not names:
        return ""
    return (
        f"{', '.join(names)}: their rows may already be written; `cutover resume` validates them "
        "(audit.reconciliation and audit.data_quality_issues describe the target as it is)"
    )
