"""The slow-query alert while dbt runs, not after.

A watch thread follows one dbt invocation through its events: a model (or test) that has been
running for longer than the profile's `slow_query_threshold` raises the alert once, as it runs;
so does the invocation itself when no node has started or finished for that long (a phase stalled
outside any model: an on-run-start hook, dbt's catalogue queries, a connection that hangs). A
legacy server frozen mid-query is seen within a second of the threshold instead of when the query
ends, which may be never.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable

POLL_SECONDS = 1.0


class SlowQueryWatch:
    """Calls `alert(node, seconds, started_any)` at most once per node, and once per stall of the
    invocation (node None; started_any says whether a node had started before it). Use as a
    context manager around the invocation, with `on_event` among dbt's callbacks."""

    def __init__(
        self,
        threshold: float,
        alert: Callable[[str | None, float, bool], None],
        clock: Callable[[], float] = time.monotonic,
        poll: float = POLL_SECONDS,
    ) -> None:
        self.threshold = threshold
        self.alert = alert
        self.clock = clock
        self.poll = poll
        self.running: dict[str, float] = {}
        self.alerted: set[str] = set()
        self.last_event = clock()
        self.started_any = False
        self.stall_alerted = False
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._watch, name="slow-query-watch", daemon=True)

    def on_event(self, event) -> None:
        name = event.info.name
        if name not in ("NodeStart", "NodeFinished"):
            return
        node = event.data.node_info.node_name
        with self.lock:
            self.last_event = self.clock()
            self.stall_alerted = False
            if name == "NodeStart":
                self.started_any = True
                self.running[node] = self.last_event
            else:
                self.running.pop(node, None)

    def check(self) -> None:
        """One look at what runs (the thread's step; called directly by tests)."""
        now = self.clock()
        with self.lock:
            slow = [
                (node, now - started)
                for node, started in self.running.items()
                if now - started > self.threshold and node not in self.alerted
            ]
            self.alerted.update(node for node, _ in slow)
            stalled = not self.running and not self.stall_alerted and now - self.last_event > self.threshold
            if stalled:
                self.stall_alerted = True
            quiet, started_any = now - self.last_event, self.started_any
        for node, seconds in slow:
            self.alert(node, seconds, True)
        if stalled:
            self.alert(None, quiet, started_any)

    def _watch(self) -> None:
        while not self.stop.wait(self.poll):
            # an alert that cannot reach the trail (a target gone: its JSON-lines line is written
            # first) must not end the watch; the run itself meets the same failure and says so
            with contextlib.suppress(Exception):
                self.check()

    def __enter__(self) -> SlowQueryWatch:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()
