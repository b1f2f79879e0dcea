"""One dbt build of the migration, with progress on the console and a reconciliation summary."""

from __future__ import annotations

import time
from dataclasses import dataclass

import psycopg
from rich.console import Console
from rich.table import Table

from runner.config import target_endpoint
from runner.dbt import DbtProject, InvocationResult
from runner.preflight import check_servers


@dataclass
class BuildSummary:
    result: InvocationResult
    seconds: float
    table: Table

    @property
    def success(self) -> bool:
        return self.result.success

    @property
    def passed(self) -> int:
        return sum(1 for n in self.result.nodes if n.status in ("success", "pass", "warn"))

    @property
    def failure_sentence(self) -> str:
        failed = self.result.failed()
        if failed:
            names = ", ".join(n.name for n in failed[:5])
            more = f" and {len(failed) - 5} more" if len(failed) > 5 else ""
            return f"The build failed at {names}{more}; see logs/dbt.log for the details."
        return f"The build failed: {self.result.error}"


def run_build(select: str | None, target: str | None, console: Console) -> BuildSummary:
    check_servers()
    project = DbtProject(target=target)
    started = time.perf_counter()
    with console.status("Parsing the dbt project") as status:
        project.parse()

        def on_event(event) -> None:
            if event.info.name == "NodeStart":
                status.update(f"Building {event.data.node_info.node_name}")
            elif event.info.name == "NodeFinished":
                info = event.data.node_info
                if info.resource_type in ("model", "seed"):
                    console.print(f"  {info.node_status:8} {info.node_name}", highlight=False)

        command = ["build"] + (["--select", select] if select else [])
        result = project.invoke(command, on_event=on_event)
    seconds = time.perf_counter() - started
    return BuildSummary(result, seconds, reconciliation_table())


def reconciliation_table() -> Table:
    table = Table(
        "entity",
        "legacy table",
        "legacy",
        "migrated",
        "quarantined",
        "merged",
        "unexplained",
        title="Reconciliation (audit.reconciliation)",
    )
    try:
        with psycopg.connect(target_endpoint().conninfo()) as conn:
            rows = conn.execute(
                "select entity, legacy_table, legacy_rows, migrated_rows, quarantined_rows, "
                "merged_rows, unexplained_rows from audit.reconciliation order by 1, 2"
            ).fetchall()
    except psycopg.Error:
        rows = []
    for row in rows:
        style = "red" if row[-1] else None
        table.add_row(*(f"{v:,}" if isinstance(v, int) else str(v) for v in row), style=style)
    return table
