"""The benchmark: the full and the delta cutover side by side with a raw COPY of the same tables.

On the configured servers, in one run per scale:

1. generate the legacy database at the scale;
2. raw COPY: every legacy table piped from the legacy server into the target server
   (`COPY ... TO STDOUT` into `COPY ... FROM STDIN`, text format, no indexes): the physical
   reference for moving these bytes between these two servers;
3. the full phased cutover on an empty target, with all validation (`cutover run`, as a
   separate process so that its peak memory is its own);
4. `mutate` on a fraction of the legacy rows (default 1%), then the delta cutover (`cutover run`
   again).

Peak memory: the runner's from the kernel's accounting of the child process (ru_maxrss); each
database server's as the sum of the proportional set sizes of its processes, sampled every
half second (where the server runs on this machine).

CPU seconds of each step: the client's (the `cutover run` child's, from the same accounting; for
the steps the benchmark runs itself, generate, raw COPY and mutate, its own process's, the
memory sampling included) and each local server's (its postmaster, the children it has reaped
and those still running), and how busy that kept the machine's cores (all of them over the
step's seconds). A step that keeps every core busy can only be made faster by doing less work.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil
import psycopg
from psycopg import sql

from runner.config import Endpoint, legacy_admin_endpoint, legacy_reader_endpoint, target_endpoint
from runner.errors import CutoverError

RAW_SCHEMA = "bench_raw"
# Everything a cutover leaves in the target database but its audit trail and before-images
# (which the migration role can neither drop nor rewrite): dropped before the full cutover.
CUTOVER_SCHEMAS = (
    "app",
    "staging",
    "intermediate",
    "quarantine",
    "audit",
    "mapping",
    "legacy",
    RAW_SCHEMA,
)
TARGETS = {"full_vs_raw_copy": 2.5, "delta_vs_full": 0.10, "runner_peak_mb": 300}


@dataclass
class Step:
    name: str
    rows: int
    seconds: float
    runner_peak_mb: float | None = None
    legacy_server_peak_mb: float | None = None
    target_server_peak_mb: float | None = None
    client_cpu_seconds: float | None = None
    legacy_server_cpu_seconds: float | None = None
    target_server_cpu_seconds: float | None = None
    detail: dict = field(default_factory=dict)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0

    def cores_busy(self, cpus: int) -> float | None:
        """The share of all the machine's cores the step's measured processes kept busy."""
        used = [self.client_cpu_seconds, self.legacy_server_cpu_seconds, self.target_server_cpu_seconds]
        if None in used or not self.seconds:
            return None
        return sum(used) / (self.seconds * cpus)


@dataclass
class BenchResult:
    scale: float
    seed: int
    mutate_fraction: float
    steps: list[Step]
    machine: dict

    def step(self, name: str) -> Step:
        return next(s for s in self.steps if s.name == name)

    def ratios(self) -> dict[str, float]:
        raw, full, delta = (self.step(n).seconds for n in ("raw_copy", "full_cutover", "delta_cutover"))
        return {
            "full_vs_raw_copy": full / raw,
            "delta_vs_full": delta / full,
            "delta_vs_raw_copy": delta / raw,
        }

    def verdicts(self) -> dict[str, bool]:
        ratios = self.ratios()
        runner_peak = max(s.runner_peak_mb or 0 for s in self.steps)
        return {
            "full_vs_raw_copy": ratios["full_vs_raw_copy"] <= TARGETS["full_vs_raw_copy"],
            "delta_vs_full": ratios["delta_vs_full"] <= TARGETS["delta_vs_full"],
            "runner_peak_mb": runner_peak <= TARGETS["runner_peak_mb"],
        }

    def as_dict(self) -> dict:
        steps = []
        raw = self.step("raw_copy").seconds
        for s in self.steps:
            item = asdict(s)
            item["rows_per_second"] = round(s.rows_per_second, 1)
            item["ratio_to_raw_copy"] = round(s.seconds / raw, 3) if raw else None
            busy = s.cores_busy(self.machine["cpus"])
            item["cores_busy"] = round(busy, 3) if busy is not None else None
            steps.append(item)
        return {
            "scale": self.scale,
            "seed": self.seed,
            "mutate_fraction": self.mutate_fraction,
            "machine": self.machine,
            "steps": steps,
            "ratios": {k: round(v, 3) for k, v in self.ratios().items()},
            "targets": TARGETS,
            "meets_targets": self.verdicts(),
        }


class ServerUsage:
    """Peak memory (the PSS of its postmaster and children) and CPU seconds of one local
    PostgreSQL server."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.postmaster: psutil.Process | None = None
        try:
            with psycopg.connect(endpoint.conninfo(), autocommit=True) as conn:
                backend = conn.execute("select pg_backend_pid()").fetchone()[0]
                # while connected: the backend exits with the connection
                self.postmaster = psutil.Process(backend).parent()
        except (psutil.Error, psycopg.Error):
            self.postmaster = None  # a remote server: not measured
        self.peak_bytes = 0
        self.cpu_started = 0.0
        self.cpu_used: float | None = None

    def cpu_seconds(self, settle: float = 3.0) -> float:
        """CPU seconds of the server since it started: its postmaster's, those of the children
        it has reaped (a backend whose connection closed) and those of its running children.

        A backend reaped between the reading of the postmaster's times and the listing of its
        children would be in neither count (a COPY's backend, closed as the step ended, lost
        its 12 s), and one exited but not yet reaped is in neither either: the count is taken
        again, for up to `settle` seconds, until the postmaster's count of reaped children is
        the same before and after the listing and no child is a zombie."""
        deadline = time.monotonic() + settle
        while True:
            before = self.postmaster.cpu_times()
            running, settled = 0.0, True
            for child in self.postmaster.children():
                try:
                    if child.status() == psutil.STATUS_ZOMBIE:
                        settled = False
                        continue
                    times = child.cpu_times()
                except psutil.Error:  # gone meanwhile
                    settled = False
                    continue
                running += times.user + times.system
            after = self.postmaster.cpu_times()
            reaped = (after.children_user, after.children_system)
            settled = settled and reaped == (before.children_user, before.children_system)
            if settled or time.monotonic() > deadline:
                return after.user + after.system + sum(reaped) + running
            time.sleep(0.05)

    def start(self) -> None:
        self.peak_bytes = 0
        self.cpu_used = None
        if self.postmaster is not None:
            with contextlib.suppress(psutil.Error):
                self.cpu_started = self.cpu_seconds()

    def stop(self) -> None:
        if self.postmaster is not None:
            with contextlib.suppress(psutil.Error):
                self.cpu_used = round(self.cpu_seconds() - self.cpu_started, 1)

    def sample(self) -> None:
        if self.postmaster is None:
            return
        total = 0
        try:
            processes = [self.postmaster, *self.postmaster.children()]
        except psutil.Error:
            return
        for process in processes:
            try:
                total += process.memory_full_info().pss
            except psutil.Error:
                continue
        self.peak_bytes = max(self.peak_bytes, total)

    @property
    def peak_mb(self) -> float | None:
        return round(self.peak_bytes / 2**20, 1) if self.postmaster is not None else None


class Sampler:
    """Samples the servers' memory in a background thread while a step runs, and counts the
    CPU seconds of the servers and of this process over the step."""

    def __init__(self, servers: list[ServerUsage], interval: float = 0.5) -> None:
        self.servers = servers
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            for server in self.servers:
                server.sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> Sampler:
        for server in self.servers:
            server.start()
        self._own_started = _own_cpu_seconds()
        self.own_cpu_seconds = 0.0
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.own_cpu_seconds = round(_own_cpu_seconds() - self._own_started, 1)
        for server in self.servers:
            server.stop()


def _own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def raw_copy(legacy: Endpoint, target: Endpoint, tables: list[str]) -> tuple[int, dict[str, dict]]:
    """Pipe every table from legacy into fresh unindexed tables of schema bench_raw on target.

    Only the columns the legacy role may read are copied (the migration reads the same).
    Returns the total rows and, per table, rows and seconds.
    """
    detail: dict[str, dict] = {}
    total = 0
    with (
        psycopg.connect(legacy.conninfo(), autocommit=True) as src,
        psycopg.connect(target.conninfo(), autocommit=True) as dst,
    ):
        dst.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(RAW_SCHEMA)))
        dst.execute(sql.SQL("create schema {}").format(sql.Identifier(RAW_SCHEMA)))
        for table in tables:
            columns = src.execute(
                """
                select a.attname, format_type(a.atttypid, a.atttypmod), t.typtype
                from pg_attribute a join pg_type t on t.oid = a.atttypid
                where a.attrelid = %s::regclass and a.attnum > 0 and not a.attisdropped
                  and has_column_privilege(a.attrelid, a.attnum, 'select')
                order by a.attnum
                """,
                (table,),
            ).fetchall()
            names = [sql.Identifier(name) for name, _, _ in columns]
            # enum and other types of the legacy database do not exist on the target: as text
            types = [sql.SQL(kind if typtype == "b" else "text") for _, kind, typtype in columns]
            dst.execute(
                sql.SQL("create table {}.{} ({})").format(
                    sql.Identifier(RAW_SCHEMA),
                    sql.Identifier(table),
                    sql.SQL(", ").join(
                        sql.SQL("{} {}").format(n, t) for n, t in zip(names, types, strict=True)
                    ),
                )
            )
            started = time.perf_counter()
            copy_out = sql.SQL("copy (select {} from {}) to stdout").format(
                sql.SQL(", ").join(names), sql.Identifier(table)
            )
            raw_table = sql.SQL("{}.{}").format(sql.Identifier(RAW_SCHEMA), sql.Identifier(table))
            copy_in = sql.SQL("copy {} from stdin").format(raw_table)
            with (
                src.cursor().copy(copy_out) as reader,
                dst.cursor().copy(copy_in) as writer,
            ):
                for block in reader:
                    writer.write(block)
            seconds = time.perf_counter() - started
            rows = dst.execute(sql.SQL("select count(*) from {}").format(raw_table)).fetchone()[0]
            detail[table] = {"rows": rows, "seconds": round(seconds, 3)}
            total += rows
        dst.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(RAW_SCHEMA)))
    return total, detail


def empty_target(target: Endpoint) -> None:
    with psycopg.connect(target.conninfo(), autocommit=True) as conn:
        for schema in CUTOVER_SCHEMAS:
            conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema)))


def run_cutover(log: Path, extra_args: list[str]) -> tuple[float, float, float]:
    """`cutover run` as a child process: its wall seconds, peak resident memory in MB and CPU
    seconds."""
    # All validation runs; only the quarantine-rate stop rule is lifted, since at small scales
    # the generator's forced data problems alone exceed it (the rule has tests of its own).
    # --force: a new execution each time, never the resumption of one an interrupted benchmark
    # left unfinished (its batches were checkpointed into tables the benchmark has dropped).
    command = [
        str(Path(sys.executable).with_name("cutover")),
        "run",
        "--force",
        "--error-tolerance",
        "100",
        *extra_args,
    ]
    with open(log, "a") as handle:
        handle.write(f"\n$ {' '.join(command)}\n")
        handle.flush()
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, env=os.environ.copy())
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise CutoverError(
            f"`cutover run` failed during the benchmark (exit {process.returncode}); see {log}."
        )
    return seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def machine() -> dict:
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def benchmark(scale: float, seed: int, fraction: float, log: Path, say) -> BenchResult:
    """One benchmark run at one scale on the configured servers (see the module docstring)."""
    from cutover_dev.legacy.generator import TABLES, generate, mutate

    admin, reader, target = legacy_admin_endpoint(), legacy_reader_endpoint(), target_endpoint()
    servers = [ServerUsage(admin), ServerUsage(target)]
    steps: list[Step] = []

    def measured(step: Step, sampler: Sampler, client_cpu: float | None = None) -> Step:
        step.legacy_server_peak_mb, step.target_server_peak_mb = (s.peak_mb for s in servers)
        step.legacy_server_cpu_seconds, step.target_server_cpu_seconds = (s.cpu_used for s in servers)
        step.client_cpu_seconds = sampler.own_cpu_seconds if client_cpu is None else round(client_cpu, 1)
        steps.append(step)
        say(step)
        return step

    with Sampler(servers) as sampler:
        generated = generate(admin, scale, seed, reader_role=reader.user)
    measured(Step("generate", generated.total_rows, generated.seconds), sampler)

    tables = [t.name for t in TABLES] + ["storage_inventory"]
    with Sampler(servers) as sampler:
        started = time.perf_counter()
        rows, detail = raw_copy(reader, target, tables)
        seconds = time.perf_counter() - started
    measured(Step("raw_copy", rows, seconds, detail={"tables": detail}), sampler)

    empty_target(target)
    with Sampler(servers) as sampler:
        seconds, peak, cpu = run_cutover(log, [])
    measured(Step("full_cutover", rows, seconds, runner_peak_mb=round(peak, 1)), sampler, cpu)

    with Sampler(servers) as sampler:
        mutation = mutate(admin, fraction, seed, round_=1)
    counts = {
        "inserted": sum(mutation.inserted.values()),
        "updated": sum(mutation.updated.values()),
        "deleted": sum(mutation.deleted.values()),
        "restored": sum(mutation.restored.values()),
    }
    changed = sum(counts.values())
    measured(
        Step(
            "mutate",
            changed,
            mutation.seconds,
            detail=counts,
        ),
        sampler,
    )

    with Sampler(servers) as sampler:
        seconds, peak, cpu = run_cutover(log, [])
    measured(Step("delta_cutover", changed, seconds, runner_peak_mb=round(peak, 1)), sampler, cpu)
    return BenchResult(scale, seed, fraction, steps, machine())


def write_json(results: list[BenchResult], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([r.as_dict() for r in results], indent=2) + "\n")
