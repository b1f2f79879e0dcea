"""What the runner shows: the plan and status on the console (console.py), and the rehearsal report
of an execution (rehearsal.py gathers it, sections.py lays it out, render.py writes HTML and
Markdown), with the quarantine export it links to (export.py)."""

from __future__ import annotations

import os
from pathlib import Path

from runner.audit import AuditStore
from runner.config import PROJECT_DIR
from runner.report.console import plan_json, plan_table, status_tables, status_text
from runner.report.export import export_quarantine
from runner.report.rehearsal import gather
from runner.report.render import markdown, to_html

__all__ = ["plan_json", "plan_table", "report_dir", "status_tables", "status_text", "write_reports"]


def report_dir() -> Path:
    """reports/ of the project, or CUTOVER_REPORT_DIR."""
    return Path(os.environ.get("CUTOVER_REPORT_DIR", PROJECT_DIR / "reports"))


def write_reports(
    store: AuditStore, execution_id: str, directory: Path | None = None, compare_with: str | None = None
) -> tuple[Path, Path]:
    """The execution's HTML report (one self-contained file) and Markdown report, and beside them
    the quarantine export (CSV, one file per entity) that they link to."""
    directory = directory or report_dir()
    rehearsal = gather(store, execution_id, compare_with)
    stem = f"cutover-{str(rehearsal.execution['id'])[:8]}"
    directory.mkdir(parents=True, exist_ok=True)
    if rehearsal.recorded:
        # the latest execution, not rolled back, left the quarantine as it is: no filter needed
        eid = str(rehearsal.execution["id"])
        current = str(store.execution()["id"]) == eid and not rehearsal.data["rollback"]["restored"]
        rehearsal.exports, _ = export_quarantine(
            store.conn, directory / f"{stem}-quarantine", execution_id=None if current else eid
        )
    html_path, md_path = directory / f"{stem}.html", directory / f"{stem}.md"
    html_path.write_text(to_html(rehearsal, directory))
    md_path.write_text(markdown(rehearsal, directory))
    return html_path, md_path
