"""dbt invocations of an execution, in one place: the vars of each call given with it, transient
failures retried by their error class with backoff, the slow-query watch while dbt runs, and
where the time went, in the audit trail."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console

from runner.dbt import DbtProject, InvocationResult
from runner.errors import CutoverError, plain, root_cause
from runner.failures import backoff, class_of_transient, is_transient
from runner.settings import EnvironmentProfile
from runner.watch import SlowQueryWatch

SLOWEST_NODES = 8  # per dbt invocation, in the audit trail


class DbtInvoker:
    """dbt for one execution: `invoke(command, what, vars)`."""

    def __init__(
        self,
        project: DbtProject,
        profile: EnvironmentProfile,
        log: Callable,
        console: Console,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.project = project
        self.profile = profile
        self.settings = profile.migration
        self.log = log  # the execution's Trail.log
        self.console = console
        self.sleep = sleep

    def invoke(
        self,
        command: list[str],
        what: str,
        dbt_vars: dict,
        on_event: Callable | None = None,
        phase: int | None = None,
        entity: str | None = None,
    ) -> InvocationResult:
        """Run a dbt command; a transient failure is retried (class major) unless the profile
        makes it critical. The result of the last attempt, or a CutoverError when every attempt
        failed on transient errors."""
        attempts = (
            self.settings.retry_attempts if class_of_transient(self.profile.error_classes) == "major" else 0
        )
        threads = [] if command[0] == "run-operation" else ["--threads", str(self.settings.max_concurrency)]
        for attempt in range(attempts + 1):
            started = time.perf_counter()
            with self._watch(what, phase, entity) as watch:
                events = _fan_out(on_event, watch and watch.on_event)
                result = self.project.invoke([*command, *threads, "--vars", json.dumps(dbt_vars)], events)
            if result.success:
                self._log_timing(what, result, time.perf_counter() - started, phase, entity)
                return result
            messages = " ".join(filter(None, [result.error, *(n.message or "" for n in result.failed())]))
            if not is_transient(messages) or attempt == attempts:
                if is_transient(messages) and attempts:
                    message = (
                        f"{what} failed {attempts + 1} times on transient errors, the last: "
                        f"{root_cause(messages)}; the execution can be resumed with `cutover resume`."
                    )
                    self.log("error", message, phase, entity, error=plain(messages))
                    raise CutoverError(message)
                return result
            self._wait_to_retry(what, messages, attempt + 1, attempts, phase, entity)
        return result  # pragma: no cover - the loop always returns

    def _wait_to_retry(
        self, what: str, messages: str, attempt: int, attempts: int, phase: int | None, entity: str | None
    ) -> None:
        delay = backoff(self.settings.retry_backoff_seconds, attempt, self.settings.retry_backoff)
        self.log(
            "error",
            f"{what}: transient failure, retrying in {delay:g} s",
            phase,
            entity,
            attempt=attempt,
            error=plain(messages),
        )
        self.console.print(
            f"[yellow]transient failure in {what} ({root_cause(messages, 120)}); "
            f"retry {attempt} of {attempts} in {delay:g} s[/]",
            highlight=False,
        )
        self.sleep(delay)

    @contextmanager
    def _watch(self, what: str, phase: int | None, entity: str | None) -> Iterator[SlowQueryWatch | None]:
        """The slow-query alert while `what` runs (runner/watch.py): in the trail, the JSON-lines
        log and on the console, once per model that runs past the threshold and once per stall."""
        alerting = self.profile.monitoring.alerting
        if not alerting.enabled:
            yield None
            return
        threshold = alerting.slow_query_threshold

        def alert(node: str | None, seconds: float, started_any: bool) -> None:
            if node:
                message = f"slow query: {node} has been running for {seconds:.0f} s in {what}"
            elif started_any:
                message = f"slow query: {what} has started or finished no model for {seconds:.0f} s"
            else:  # a run-operation, or what dbt does before its first model
                message = f"slow query: {what} has been running for {seconds:.0f} s"
            message += f" (alert threshold {threshold:g} s)"
            self.console.print(f"[yellow]warning: {message}[/]", highlight=False)
            self.log("progress", message, phase, entity, seconds=seconds, alert="slow_query", node=node)

        with SlowQueryWatch(threshold, alert) as watch:
            yield watch

    def _log_timing(
        self, what: str, result: InvocationResult, seconds: float, phase: int | None, entity: str | None
    ) -> None:
        """Where the time of one dbt invocation went: wall seconds, the nodes' own seconds and the
        slowest nodes (the difference is dbt's per-invocation and per-node overhead)."""
        if not result.nodes:
            return
        slowest = sorted(result.nodes, key=lambda n: n.seconds, reverse=True)[:SLOWEST_NODES]
        self.log(
            "progress",
            f"{what}: {len(result.nodes)} dbt nodes in {seconds:.1f} s",
            phase,
            entity,
            seconds=round(seconds, 3),
            nodes=len(result.nodes),
            node_seconds=round(sum(n.seconds for n in result.nodes), 3),
            slowest=[
                [n.name, round(n.seconds, 3), n.started_at.isoformat() if n.started_at else None]
                for n in slowest
            ],
        )


def _fan_out(*callbacks: Callable | None) -> Callable | None:
    """One dbt event callback calling each of `callbacks` that is there."""
    present = [c for c in callbacks if c]
    if not present:
        return None

    def on_event(event) -> None:
        for callback in present:
            callback(event)

    return on_event
