"""What the runner shows: the plan, the status of an execution, and its HTML and Markdown reports.
Everything comes from the plan or the audit tables: counts, durations and names, no row data.
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path

from rich.table import Table

from runner.audit import AuditStore
from runner.config import PROJECT_DIR
from runner.model import ExecutionPlan


def report_dir() -> Path:
    """reports/ of the project, or CUTOVER_REPORT_DIR."""
    return Path(os.environ.get("CUTOVER_REPORT_DIR", PROJECT_DIR / "reports"))


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    return f"{int(seconds // 60)} min {seconds % 60:.0f} s"


# --- plan --------------------------------------------------------------------------------------


def plan_table(plan: ExecutionPlan) -> Table:
    table = Table(
        title=f"Execution plan: {len(plan.entities)} entities in {len(plan.phases)} phases, "
        f"estimated {_duration(plan.estimated_seconds)}"
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
            _duration(step.estimated_duration),
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


def _execution_data(store: AuditStore, execution_id: str | None) -> dict:
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
    data = _execution_data(store, execution_id)
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
    unvalidated = _not_validated(data)
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
            _duration(seconds),
        )
    entities = Table(title="Entities")
    # Names, statuses and numbers never wrap or shorten: a narrow terminal scrolls instead.
    for column in (
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
    ):
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


def _not_validated(data: dict) -> str:
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


# --- reports -----------------------------------------------------------------------------------


def write_reports(store: AuditStore, execution_id: str, directory: Path | None = None) -> tuple[Path, Path]:
    """A self-contained HTML report (inline CSS and SVG chart) and a Markdown report."""
    directory = directory or report_dir()
    data = _execution_data(store, execution_id)
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"cutover-{str(data['execution']['id'])[:8]}"
    html_path, md_path = directory / f"{stem}.html", directory / f"{stem}.md"
    html_path.write_text(_html(data))
    md_path.write_text(_markdown(data))
    return html_path, md_path


def _rows_per_entity(data: dict) -> list[dict]:
    return [
        {
            "entity": r["entity"],
            "phase": r["phase"],
            "status": r["status"],
            "expected": r["expected_records"],
            "migrated": r["migrated_records"],
            "quarantined": r["quarantined_records"],
            "merged": r["merged_records"],
            "written": r["rows_written"],
            "seconds": float(r["seconds"] or 0),
            "rate": float(r["rows_per_second"] or 0),
            "success": round(100.0 * (r["migrated_records"] + r["merged_records"]) / r["expected_records"], 2)
            if r["expected_records"]
            else 100.0,
            "quality": float(r["data_quality"]) if r["data_quality"] is not None else None,
        }
        for r in data["entities"]
    ]


def _validation_summary(data: dict) -> dict[str, str]:
    latest = {}
    for v in data["validations"]:
        failed = [c["name"] for c in v["checks"] if c["status"] != "passed"]
        latest[v["entity"]] = v["overall_status"] + (f" ({', '.join(failed[:3])})" if failed else "")
    return latest


def _markdown(data: dict) -> str:
    e = data["execution"]
    rows = _rows_per_entity(data)
    validation = _validation_summary(data)
    lines = [
        f"# Cutover report: execution {e['id']}",
        "",
        f"- Status: **{status_text(data)}** (profile {e['profile']})",
        f"- Started {e['started_at']:%Y-%m-%d %H:%M:%S %Z}, ended "
        + (f"{e['ended_at']:%Y-%m-%d %H:%M:%S %Z}" if e["ended_at"] else "-"),
        f"- Legacy rows {e['total_records_expected']:,}; migrated or merged {e['total_records_processed']:,}"
        + (f" ({e['success_rate']}%)" if e["success_rate"] is not None else ""),
    ]
    if e["message"]:
        lines.append(f"- {e['message']}")
    unvalidated = _not_validated(data)
    if unvalidated:
        lines.append(f"- Not validated: {unvalidated}")
    lines += [
        "",
        "## Phases",
        "",
        "| phase | name | status | legacy | migrated | quarantined | duration |",
        "|---:|---|---|---:|---:|---:|---:|",
    ]
    for p in data["phases"]:
        seconds = (
            (p["ended_at"] - p["started_at"]).total_seconds() if p["ended_at"] and p["started_at"] else 0
        )
        lines.append(
            f"| {p['phase']} | {p['name']} | {p['status']} | {p['records_processed']:,} | "
            f"{p['records_successful']:,} | {p['records_failed']:,} | {_duration(seconds)} |"
        )
    lines += [
        "",
        "## Entities",
        "",
        "| entity | phase | status | expected | migrated | quarantined | merged | written | seconds | rows/s "
        "| success % | quality | validation |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['entity']} | {r['phase']} | {r['status']} | {r['expected']:,} | {r['migrated']:,} | "
            f"{r['quarantined']:,} | {r['merged']:,} | {r['written']:,} | {r['seconds']:.1f} | "
            f"{r['rate']:,.0f} | "
            f"{r['success']} | {r['quality'] if r['quality'] is not None else '-'} | "
            f"{validation.get(r['entity'], '-')} |"
        )
    if data["batches"]:
        lines += ["", "## Checkpointed batches", ""]
        lines += [
            f"- {b['entity']}: {b['batches']} batches, {int(b['rows'] or 0):,} rows written"
            for b in data["batches"]
        ]
    return "\n".join(lines) + "\n"


def _chart(rows: list[dict]) -> str:
    """A horizontal stacked bar per entity: migrated, merged and quarantined rows (inline SVG)."""
    width, bar, gap, label = 720, 16, 6, 170
    peak = max((r["expected"] for r in rows), default=1) or 1
    height = len(rows) * (bar + gap) + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        'aria-label="Rows per entity: migrated, merged, quarantined">'
    ]
    for i, r in enumerate(rows):
        y = i * (bar + gap) + 4
        x = label
        parts.append(
            f'<text x="{label - 6}" y="{y + 12}" text-anchor="end" font-size="12">'
            f"{html.escape(r['entity'])}</text>"
        )
        for key, colour in (("migrated", "#2e7d32"), ("merged", "#1565c0"), ("quarantined", "#c62828")):
            w = (width - label - 80) * r[key] / peak
            if w > 0:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar}" fill="{colour}">'
                    f"<title>{key}: {r[key]:,}</title></rect>"
                )
            x += w
        parts.append(f'<text x="{x + 4:.1f}" y="{y + 12}" font-size="11">{r["expected"]:,}</text>')
    legend_y = height - 8
    for j, (key, colour) in enumerate(
        (("migrated", "#2e7d32"), ("merged", "#1565c0"), ("quarantined", "#c62828"))
    ):
        parts.append(
            f'<rect x="{label + j * 110}" y="{legend_y - 10}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{label + j * 110 + 14}" y="{legend_y}" font-size="11">{key}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _html(data: dict) -> str:
    e = data["execution"]
    rows = _rows_per_entity(data)
    validation = _validation_summary(data)
    esc = html.escape

    def table(headers: list[str], body: list[list[str]]) -> str:
        head = "".join(f"<th>{esc(h)}</th>" for h in headers)
        cells = "".join("<tr>" + "".join(f"<td>{esc(str(c))}</td>" for c in row) + "</tr>" for row in body)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{cells}</tbody></table>"

    phases = [
        [
            p["phase"],
            p["name"],
            p["status"],
            f"{p['records_processed']:,}",
            f"{p['records_successful']:,}",
            f"{p['records_failed']:,}",
            _duration((p["ended_at"] - p["started_at"]).total_seconds())
            if p["ended_at"] and p["started_at"]
            else "-",
        ]
        for p in data["phases"]
    ]
    entities = [
        [
            r["entity"],
            r["phase"],
            r["status"],
            f"{r['expected']:,}",
            f"{r['migrated']:,}",
            f"{r['quarantined']:,}",
            f"{r['merged']:,}",
            f"{r['written']:,}",
            f"{r['seconds']:.1f}",
            f"{r['rate']:,.0f}",
            r["success"],
            r["quality"] if r["quality"] is not None else "-",
            validation.get(r["entity"], "-"),
        ]
        for r in rows
    ]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Cutover report {esc(str(e["id"]))}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #222; }}
table {{ border-collapse: collapse; margin: 1rem 0; font-size: 13px; }}
th, td {{ border: 1px solid #ccc; padding: 4px 8px; text-align: right; }}
th {{ background: #f3f3f3; }} td:first-child, th:first-child {{ text-align: left; }}
.status-completed {{ color: #2e7d32; }} .status-failed {{ color: #c62828; }}
</style></head><body>
<h1>Cutover report</h1>
<p>Execution <code>{esc(str(e["id"]))}</code>, profile {esc(e["profile"])}:
<strong class="status-{esc(e["status"])}">{esc(status_text(data))}</strong>.
Started {e["started_at"]:%Y-%m-%d %H:%M:%S %Z}{
        ", ended " + format(e["ended_at"], "%Y-%m-%d %H:%M:%S %Z") if e["ended_at"] else ""
    }.
{e["total_records_processed"]:,} of {e["total_records_expected"]:,} legacy rows migrated or merged
({e["success_rate"] if e["success_rate"] is not None else "-"}%).</p>
{f"<p>{esc(e['message'])}</p>" if e["message"] else ""}
<h2>Rows per entity</h2>
{_chart(rows)}
<h2>Phases</h2>
{table(["phase", "name", "status", "legacy", "migrated", "quarantined", "duration"], phases)}
<h2>Entities</h2>
{
        table(
            [
                "entity",
                "phase",
                "status",
                "expected",
                "migrated",
                "quarantined",
                "merged",
                "written",
                "seconds",
                "rows/s",
                "success %",
                "quality",
                "validation",
            ],
            entities,
        )
    }
</body></html>
"""
