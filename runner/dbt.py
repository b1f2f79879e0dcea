"""dbt, in-process: parse the project once, then run any number of commands on that manifest.

A dbt process pays several seconds of start-up; through dbtRunner with a reused manifest,
later invocations cost well under a second. dbt's structured events are handed to a callback
(progress, audit); its console output is not scraped.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from runner.config import PROJECT_DIR, environment
from runner.errors import CutoverError, first_line, root_cause

EventCallback = Callable[[object], None]
# dbt commands whose artefacts nobody reads: the runner takes their results in-process.
QUIET_COMMANDS = frozenset({"build", "run", "test", "seed", "run-operation"})


# the statuses of a node that did not do its work
FAILED = ("error", "fail", "runtime error")


@dataclass(frozen=True)
class NodeResult:
    """What one model, seed or test did in one invocation."""

    unique_id: str
    name: str
    resource_type: str
    status: str
    seconds: float
    rows_affected: int | None
    message: str | None
    started_at: datetime | None = None


@dataclass
class InvocationResult:
    success: bool
    nodes: list[NodeResult] = field(default_factory=list)
    error: str | None = None

    def failed(self) -> list[NodeResult]:
        return [n for n in self.nodes if n.status in FAILED]

    def reason(self) -> str:
        """What went wrong, in one line: the first failed node and its message, or else the
        invocation's own error."""
        failed = self.failed()
        if failed:
            return f"{failed[0].name}: {root_cause(failed[0].message or 'failed')}"
        return root_cause(self.error or "unknown error")


@contextmanager
def dbt_environment(env: Mapping[str, str] | None = None) -> Iterator[None]:
    """Expose the connection settings to dbt's env_var() for the duration of a call.

    The passwords are also exported as DBT_ENV_SECRET_* so that dbt masks them in everything
    it logs (the foreign-data wrapper's user mapping carries the legacy password).
    """
    values = dict(environment(env))
    for name in ("CUTOVER_LEGACY_PASSWORD", "CUTOVER_TARGET_PASSWORD"):
        if values.get(name):
            values["DBT_ENV_SECRET_" + name.removeprefix("CUTOVER_")] = values[name]
    values.setdefault("DBT_PROFILES_DIR", str(PROJECT_DIR / "profiles"))
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


class DbtProject:
    """The dbt project of this repository, parsed once per runner process."""

    def __init__(
        self, project_dir: Path = PROJECT_DIR, target: str | None = None, env: Mapping[str, str] | None = None
    ) -> None:
        self.project_dir = project_dir
        self.target = target
        self.env = env
        self.manifest = None

    def _common_args(self) -> list[str]:
        args = ["--project-dir", str(self.project_dir)]
        profiles_dir = environment(self.env).get("DBT_PROFILES_DIR", str(self.project_dir / "profiles"))
        args += ["--profiles-dir", profiles_dir]
        if self.target:
            args += ["--target", self.target]
        return args

    def target_path(self) -> Path:
        """Where dbt writes its artefacts (DBT_TARGET_PATH or target/)."""
        return Path(environment(self.env).get("DBT_TARGET_PATH", self.project_dir / "target"))

    def parse(self) -> None:
        from dbt.cli.main import dbtRunner

        with dbt_environment(self.env):
            # --no-write-json: the runner keeps the manifest in memory (target/partial_parse.msgpack
            # is still written); writing manifest.json lengthened every execution's start (docs/benchmark.md).
            # `cutover docs` writes it for the lineage.
            result = dbtRunner().invoke(["parse", "--quiet", "--no-write-json", *self._common_args()])
        if not result.success:
            raise CutoverError(f"dbt could not parse the project: {first_line(result.exception)}")
        self.manifest = result.result

    def list_names(
        self, select: str | None = None, resource_type: str = "model", selector: str | None = None
    ) -> list[str]:
        """The names of the nodes dbt selects for `select`, or for a selector of selectors.yml
        (dbt ls), sorted."""
        from dbt.cli.main import dbtRunner

        if self.manifest is None:
            self.parse()
        # ls prints each name, --quiet or not: the names come back in the result instead
        with dbt_environment(self.env), contextlib.redirect_stdout(io.StringIO()):
            result = dbtRunner(manifest=self.manifest).invoke(
                [
                    "ls",
                    *(["--selector", selector] if selector else ["--select", select]),
                    "--resource-type",
                    resource_type,
                    "--output",
                    "name",
                    "--quiet",
                    *self._common_args(),
                ]
            )
        if not result.success:
            raise CutoverError(f"dbt could not select {selector or select!r}: {first_line(result.exception)}")
        return _list_names(result)

    def invoke(self, command: list[str], on_event: EventCallback | None = None) -> InvocationResult:
        """Run one dbt command (e.g. ["build", "--select", "+profiles"]) on the parsed manifest.

        Commands that only act on the database do not rewrite target/manifest.json and
        run_results.json (the results come back in-process): serialising the manifest cost
        about 0.8 s of a 2-core machine's CPU per invocation, over a third of a delta cutover.
        """
        from dbt.cli.main import dbtRunner

        if self.manifest is None:
            self.parse()
        errors: list[str] = []

        def collect_errors(event) -> None:
            # run-operation reports a failed macro only as an error event, with no node or message
            if event.info.level == "error":
                errors.append(str(event.info.msg))

        callbacks = [_guarded(collect_errors)] + ([_guarded(on_event)] if on_event else [])
        keep_connections_between_nodes()
        with dbt_environment(self.env):
            runner = dbtRunner(manifest=self.manifest, callbacks=callbacks)
            quiet = ["--quiet"] + (["--no-write-json"] if command[0] in QUIET_COMMANDS else [])
            result = runner.invoke([*command, *quiet, *self._common_args()])
        results = getattr(result.result, "results", None) or []
        nodes = [_node_result(r) for r in results if getattr(r, "node", None) is not None]
        error = first_line(result.exception) if result.exception else None
        if not result.success and error is None and errors:
            error = " ".join(" ".join(errors).split())
        return InvocationResult(success=bool(result.success), nodes=nodes, error=error)


def keep_connections_between_nodes() -> None:
    """Let each dbt thread keep its connection from one node to the next, within an invocation.

    dbt-postgres closes a thread's connection at the end of every node (dbt-adapters' release; the
    `reuse_connections` setting proposed for postgres was never merged), so the next node opens
    another: a server process forked, SCRAM authentication on both sides, catalogue caches that
    start cold, and for a staging model a new postgres_fdw connection to the legacy server too.
    Kept, a cutover at scale 0.1 takes some 13% less time and a delta's sessions fall tenfold
    (docs/benchmark.md, "The figures behind the code"). Released here, a connection that is open
    is rolled back (what closing it would do to an unfinished transaction) and its temporary
    tables dropped (dbt's incremental models leave one per build, which a new session would never
    have seen); it is closed as before if anything fails, and dbt closes them all at the end of
    the invocation (cleanup_connections). Nothing else is left in a session: the project's macros
    set no session settings, and psycopg2 prepares no statements.
    """
    from dbt.adapters.postgres.connections import PostgresConnectionManager

    if getattr(PostgresConnectionManager, "_cutover_keeps_connections", False):
        return
    close_on_release = PostgresConnectionManager.release

    def release(self) -> None:
        with self.lock:
            connection = self.get_if_exists()
        handle = getattr(connection, "handle", None) if connection is not None else None
        if connection is None or connection.state != "open" or getattr(handle, "closed", 1):
            close_on_release(self)
            return
        try:
            handle.rollback()
            connection.transaction_open = False
            with handle.cursor() as cursor:
                cursor.execute("discard temp")
            if not handle.autocommit:
                handle.commit()
        except Exception:
            close_on_release(self)

    PostgresConnectionManager.release = release
    PostgresConnectionManager._cutover_keeps_connections = True


def _guarded(callback: EventCallback) -> EventCallback:
    """A progress callback must never break a dbt run: its errors are dropped."""

    def call(event) -> None:
        with contextlib.suppress(Exception):
            callback(event)

    return call


def _list_names(result) -> list[str]:
    return sorted(str(item) for item in (result.result or []))


def _node_result(result) -> NodeResult:
    response = getattr(result, "adapter_response", None) or {}
    node = result.node
    return NodeResult(
        unique_id=node.unique_id,
        name=node.name,
        resource_type=str(node.resource_type),
        status=str(result.status),
        seconds=float(result.execution_time or 0.0),
        rows_affected=response.get("rows_affected") if isinstance(response, dict) else None,
        message=result.message,
        started_at=_started_at(result),
    )


def _started_at(result) -> datetime | None:
    """When the node began its work (dbt's first timing step, compile or execute), in UTC."""
    for step in getattr(result, "timing", None) or ():
        if step.started_at is not None:
            started = step.started_at
            return started if started.tzinfo else started.replace(tzinfo=timezone.utc)
    return None
