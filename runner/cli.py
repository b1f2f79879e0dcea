"""The `cutover` command line. Commands parse options and print; the work lives elsewhere."""

from __future__ import annotations

import contextlib
import sys
from datetime import datetime, timezone
from importlib.metadata import entry_points
from pathlib import Path

import click
from rich.table import Table

from runner import __version__
from runner.errors import CutoverError, Interrupted, root_cause
from runner.settings import VALIDATION_LEVELS
from runner.terminal import console, out


class CutoverGroup(click.Group):
    """The top command group: every failure of a command ends in one sentence and a non-zero exit,
    never a traceback. A CutoverError is shown as it is (click calls its show()); Ctrl-C exits
    with 130; anything else is shown by its first line, its traceback kept in the log folder."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt:
            raise Interrupted() from None
        except Exception as exc:  # noqa: BLE001 - the one place that turns any failure into a sentence
            raise CutoverError(unexpected(exc)) from exc


def unexpected(exc: Exception) -> str:
    """One sentence for an exception no command expected, the traceback kept in a file."""
    import traceback

    import psycopg

    from runner.audit import log_folder

    try:
        folder = log_folder()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "errors.log"
        with path.open("a") as log:
            log.write(f"--- {datetime.now(timezone.utc).isoformat()} cutover {' '.join(sys.argv[1:])}\n")
            log.write("".join(traceback.format_exception(exc)))
        where = f"the traceback is in {path}"
    except OSError:
        where = "no traceback could be written"
    if isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError)):
        return f"The connection to a database was lost: {root_cause(str(exc))} ({where})."
    if isinstance(exc, psycopg.Error):
        return f"The database refused a statement: {root_cause(str(exc))} ({where})."
    return f"Unexpected {type(exc).__name__}: {root_cause(str(exc) or type(exc).__name__)} ({where})."


@click.group(cls=CutoverGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cutover")
def main() -> None:
    """Rehearse and execute the cutover of the legacy database into the new schema."""


# --- the cutover ------------------------------------------------------------------------------


def profile_option(func):
    func = click.option(
        "--profile",
        "profile_name",
        default=None,
        metavar="NAME",
        help="Environment profile of profiles/cutover.yml (development, staging, "
        "production; default CUTOVER_PROFILE or development).",
    )(func)
    return func


def _profile(name, **overrides):
    from runner.settings import load_profile

    return load_profile(name, overrides, option_names=RUN_OPTION_NAMES)


SELECT_HELP = (
    "A named selection of selectors.yml (core, core_with_patients, orders_with_deps, all, "
    "phase_1 .. phase_7): the same definitions as `dbt build --selector NAME`."
)


# The option of `run` and `resume` that overrides each migration setting.
RUN_OPTION_NAMES = {"max_concurrency": "--concurrency", "retry_attempts": "--retries"}


@main.command("plan")
@profile_option
@click.option("--select", "select", default=None, metavar="NAME", help=SELECT_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
def plan_command(profile_name: str | None, select: str | None, as_json: bool) -> None:
    """The execution plan: phases, parallel steps, critical path, volumes and estimates (of a
    named selection with --select)."""
    from runner.application import Selection, Session
    from runner.preflight import check_servers
    from runner.report import plan_json, plan_table

    profile = _profile(profile_name)
    check_servers()
    with Session(profile, console) as session:
        plan = session.plan()
        if select:
            plan = session.plan(only=session.selected(plan, Selection(selector=select)))
    if as_json:
        click.echo(plan_json(plan))
    else:
        out.print(plan_table(plan))


# Long: one declaration per option of `run` and `resume`, kept together so both take the same.
def run_options(func):
    options = [
        click.option("--select", "select", default=None, metavar="NAME", help=SELECT_HELP),
        click.option(
            "--phase",
            "phases",
            default=None,
            metavar="N|A..B",
            help="Only this phase or range of phases, e.g. 3 or 2..4.",
        ),
        click.option(
            "--entity", "entities", multiple=True, metavar="NAME", help="Only this entity (repeatable)."
        ),
        click.option(
            "--with-dependencies", is_flag=True, help="Also run what the selected entities depend on."
        ),
        click.option(
            "--validation-level",
            type=click.Choice(VALIDATION_LEVELS),
            default=None,
            help="Tests run at each phase's validation gate.",
        ),
        click.option(
            "--concurrency",
            type=click.IntRange(1, 32),
            default=None,
            help="dbt threads: models built at once within a phase.",
        ),
        click.option(
            "--batch-size",
            type=click.IntRange(1, 100_000_000),
            default=None,
            help="Legacy rows per checkpointed batch of a massive entity.",
        ),
        click.option(
            "--retries",
            type=click.IntRange(0, 20),
            default=None,
            help="Attempts after a transient failure (with exponential backoff).",
        ),
        click.option(
            "--error-tolerance",
            type=click.FloatRange(0, 100),
            default=None,
            help="Percentage of an entity's rows that may be quarantined.",
        ),
        click.option(
            "--force",
            is_flag=True,
            help="Start a new execution even if the last one did not finish, and rebuild "
            "its completed phases.",
        ),
        click.option(
            "--full-pass",
            is_flag=True,
            help="Compare every row of every layer, not only those changed since the last "
            "run (a final check before go-live; slower).",
        ),
        click.option(
            "--phase-by-phase",
            is_flag=True,
            help="Build and validate one phase at a time (by default consecutive phases that "
            "load nothing in batches are one dbt build, then pass their gates in order).",
        ),
        profile_option,
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _run_profile(args: dict):
    return _profile(
        args["profile_name"],
        validation_level=args["validation_level"],
        max_concurrency=args["concurrency"],
        batch_size=args["batch_size"],
        retry_attempts=args["retries"],
        error_tolerance=args["error_tolerance"],
    )


@main.command("run")
@run_options
def run(**args) -> None:
    """Run the phased cutover: each phase built, then validated, before the next starts.

    Consecutive phases that load nothing in batches (all of a delta's) are one dbt build,
    ordered by the ref() graph, then pass their gates in phase order; --phase-by-phase builds
    one phase at a time."""
    from runner.application import Selection, Session
    from runner.context import RunOptions

    profile = _run_profile(args)
    options = RunOptions(
        force=args["force"],
        validation_level=profile.migration.validation_level,
        full_pass=args["full_pass"],
        phase_by_phase=args["phase_by_phase"],
    )
    selection = Selection(args["phases"], tuple(args["entities"]), args["with_dependencies"], args["select"])
    with Session(profile, console) as session, _report_when_stopped(session):
        _finish(session, session.run(selection, options))


@main.command("resume")
@click.argument("execution_id", required=False)
@click.option(
    "--accept",
    is_flag=True,
    help="Go on past the gate an execution awaits a decision at (manual_intervention); "
    "recorded with your user name.",
)
@run_options
def resume(execution_id, accept, **args) -> None:
    """Continue an execution (default: the last one) from where it stopped."""
    from runner.application import Session
    from runner.context import RunOptions

    if any(
        args[name] for name in ("select", "phases", "entities", "with_dependencies", "force", "full_pass")
    ):
        raise CutoverError(
            "resume continues an execution with its own selection: "
            "drop --select, --phase, --entity, --with-dependencies, --force and --full-pass."
        )
    profile = _run_profile(args)
    options = RunOptions(
        validation_level=profile.migration.validation_level,
        phase_by_phase=args["phase_by_phase"],
        accept=accept,
    )
    with Session(profile, console) as session, _report_when_stopped(session):
        _finish(session, session.resume(execution_id, options))


@contextlib.contextmanager
def _report_when_stopped(session):
    """A run stopped by a gate still gets its report (what failed, the quarantine by reason), then
    its one sentence and non-zero exit."""
    from runner.gate import StopRun
    from runner.report import write_reports

    try:
        yield
    except StopRun:
        with contextlib.suppress(Exception):
            row = session.store.execution()
            html, markdown = write_reports(session.store, str(row["id"]))
            out.print(f"Report: {html}")
            out.print(f"        {markdown}")
        raise


def _finish(session, execution) -> None:
    from runner.report import write_reports

    html, markdown = write_reports(session.store, execution.id)
    out.print(
        f"[green]Execution {execution.id} completed:[/] "
        f"{execution.total_records_processed:,} of {execution.total_records_expected:,} legacy rows "
        f"migrated or merged ({execution.success_rate}%)."
    )
    out.print(f"Report: {html}")
    out.print(f"        {markdown}")


@main.command("dba-script")
@click.option(
    "--migration-role",
    help="The role dbt and the runner log in as (default: CUTOVER_TARGET_USER).",
)
def dba_script_command(migration_role: str | None) -> None:
    """Print the SQL a superuser runs once in the target database: the postgres_fdw extension,
    the audit schema owned by its own role, and the migration role's grants on it.

    Review it, then for example: cutover dba-script | psql -U postgres -d target
    """
    from runner.config import environment
    from runner.dba import dba_script

    if migration_role is not None and not migration_role.strip():
        raise CutoverError("--migration-role needs the name of a role.")
    role = migration_role or environment().get("CUTOVER_TARGET_USER")
    if not role:
        raise CutoverError("Name the migration role: --migration-role NAME, or set CUTOVER_TARGET_USER.")
    click.echo(dba_script(role), nl=False)


@main.command("status")
@click.argument("execution_id", required=False)
def status(execution_id: str | None) -> None:
    """The current or last execution, per phase and entity."""
    from runner.audit import AuditStore
    from runner.config import target_endpoint
    from runner.report import status_tables

    with AuditStore(target_endpoint()) as store:
        store.recorded_execution(execution_id)
        for renderable in status_tables(store, execution_id):
            out.print(renderable)


@main.command("docs")
@click.option(
    "--serve/--no-serve",
    default=True,
    show_default=True,
    help="Serve the generated docs on localhost after generating them.",
)
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True)
@click.option(
    "--check",
    is_flag=True,
    help="Check documentation and test coverage instead (no database needed): exit 1 on any gap.",
)
@click.option(
    "--catalog",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="With --check: a catalog.json from `dbt docs generate`, to check every real column too.",
)
@profile_option
def docs(serve: bool, port: int, check: bool, catalog: Path | None, profile_name: str | None) -> None:
    """Generate the dbt docs (lineage from legacy tables to the application) and serve them."""
    from runner.dbt import DbtProject
    from runner.preflight import check_servers

    if check:
        _check_docs(DbtProject(target=_profile(profile_name).dbt_target), catalog)
        return
    check_servers()
    project = DbtProject(target=_profile(profile_name).dbt_target)
    result = project.invoke(["docs", "generate"])
    if not result.success:
        raise CutoverError(f"dbt docs generate failed: {result.error}")
    out.print(f"Docs generated in {project.target_path()}.")
    if serve:
        out.print(f"Serving them on http://127.0.0.1:{port} (Ctrl-C to stop).")
        project.invoke(["docs", "serve", "--port", str(port), "--host", "127.0.0.1", "--no-browser"])


def _check_docs(project, catalog_path: Path | None) -> None:
    import json

    from runner import doccheck

    project.parse()
    catalog = json.loads(catalog_path.read_text()) if catalog_path else None
    coverage = doccheck.check(project.manifest, project.project_dir, catalog)
    for gap in coverage.gaps:
        out.print(f"  {gap}", markup=False)
    counted = ", ".join(f"{n} {kind}" for kind, n in sorted(coverage.counted.items()))
    if not coverage.complete:
        raise CutoverError(f"Documentation and test coverage has {len(coverage.gaps)} gaps (of {counted}).")
    out.print(f"Documentation and test coverage is complete: {counted}.")


@main.command("validate")
@click.option(
    "--level",
    type=click.Choice(VALIDATION_LEVELS),
    default=None,
    help="Which tests the per-entity validation runs (default: the profile's).",
)
@click.option(
    "--select",
    "select",
    default=None,
    metavar="NAME",
    help="Only the entities of a named selection (core, all, ...); final: every entity at the "
    "comprehensive level, as before go-live.",
)
@profile_option
def validate(level: str | None, select: str | None, profile_name: str | None) -> None:
    """The validation framework alone: pre-validation, per-entity checks, post-validation."""
    from runner import application

    checks = application.validate(_profile(profile_name), level, select, console)
    table = Table("stage", "subject", "check", "status", "detail", title="Validation")
    colours = {"passed": "green", "warning": "yellow", "failed": "red"}
    shown = [c for c in checks if c.status != "passed" or c.stage != "entity"]
    for c in shown:
        table.add_row(c.stage, c.subject, c.name, f"[{colours[c.status]}]{c.status}[/]", c.detail)
    out.print(table)
    # what does not add up by id first: the dbt tests that fail with it say less
    failed = sorted(
        (c for c in checks if c.status == "failed"), key=lambda c: c.name != "reconciliation by id"
    )
    passed_tests = sum(1 for c in checks if c.stage == "entity" and c.status == "passed")
    out.print(f"{passed_tests} entity checks passed (not listed); {len(failed)} failed.")
    if failed:
        raise CutoverError(f"Validation failed: {failed[0].subject} {failed[0].name} ({failed[0].detail}).")


@main.command("rollback")
@click.option(
    "--entity", "entities", multiple=True, metavar="NAME", help="Roll back this entity (repeatable)."
)
@click.option("--phase", "phase", type=int, default=None, help="Roll back every entity of this phase.")
@click.option("--all", "everything", is_flag=True, help="Roll back every entity.")
@click.option(
    "--select", "select", default=None, metavar="NAME", help="Roll back a named selection (core, all, ...)."
)
@click.option(
    "--execution",
    "execution_id",
    default=None,
    metavar="ID",
    help="The execution to undo (default: the last one).",
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@profile_option
# Seven parameters: one per option of `cutover rollback`, as click passes them.
def rollback_command(entities, phase, everything, select, execution_id, yes, profile_name) -> None:
    """Return entities, and everything downstream of them, to their state before an execution."""
    from runner.application import RollbackScope, roll_back

    def confirm(execution: str, targets: list[str]) -> None:
        if not yes:
            click.confirm(
                f"Restore {len(targets)} entities ({', '.join(targets)}) to their state before "
                f"execution {execution}?",
                abort=True,
            )

    scope = RollbackScope(tuple(entities), phase, everything, select)
    eid, counts = roll_back(_profile(profile_name), scope, execution_id, confirm, console)
    out.print(
        f"Rolled back {len(counts)} entities to their state before execution {eid}: "
        + ", ".join(f"{e} ({n:,} rows)" for e, n in counts.items())
    )


@main.command("report")
@click.argument("execution_id", required=False)
@click.option(
    "--compare",
    "compare_with",
    metavar="EXECUTION",
    default=None,
    help="Compare with this execution (default: the previous one that recorded its outcome).",
)
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the reports (default: reports/, or CUTOVER_REPORT_DIR).",
)
def report(execution_id: str | None, compare_with: str | None, output: Path | None) -> None:
    """Write the rehearsal report of an execution (default: the last one), HTML and Markdown:
    go/no-go, quarantine by reason, what changed since the previous rehearsal, the timeline."""
    from runner.application import write_report

    html, markdown = write_report(execution_id, compare_with, output)
    out.print(f"Report: {html}")
    out.print(f"        {markdown}")


@main.group()
def quarantine() -> None:
    """The quarantined legacy rows: the rows to fix in the legacy application."""


@quarantine.command("export")
@click.option("--entity", "entities", multiple=True, help="Only this entity (repeatable).")
@click.option("--reason", "reasons", multiple=True, help="Only this reject reason (repeatable).")
@click.option(
    "--execution",
    "execution_id",
    default=None,
    help="The rows this execution quarantined that are still quarantined (default: the quarantine as it is).",
)
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the files (default: reports/quarantine/, or under CUTOVER_REPORT_DIR).",
)
def quarantine_export(entities, reasons, execution_id, fmt, output) -> None:
    """Write the quarantined rows with their reason, its rule and their original legacy values,
    one file per entity. The files hold personal data: keep them where the legacy data may be."""
    from runner.application import export_quarantine

    files, gone = export_quarantine(tuple(entities), tuple(reasons), execution_id, fmt, output)
    for f in files:
        out.print(f"{f.entity}: {f.rows:,} rows -> {f.path}")
    if not files:
        out.print("No quarantined row matches: nothing written.")
    if gone:
        out.print(
            f"{gone:,} rows that execution quarantined have left the quarantine since "
            "(fixed, or gone from legacy)."
        )
    if files:
        out.print(
            "[yellow]These files hold personal data from the legacy database: keep them where that data "
            "may be kept, and delete them once the rows are fixed.[/]"
        )


# Commands other distributions add: the development tools (`cutover dev`, `cutover legacy`,
# `cutover bench`) when legacy-cutover-dev is installed.
for _entry in entry_points(group="cutover.commands"):
    main.add_command(_entry.load(), _entry.name)
