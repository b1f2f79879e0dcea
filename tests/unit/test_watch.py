"""The slow-query watch (runner/watch.py) on a clock the test moves: each slow node alerted
once, a stall of the invocation once per stall, a fast invocation never."""

from __future__ import annotations

from types import SimpleNamespace

from runner.watch import SlowQueryWatch


def event(name: str, node: str):
    return SimpleNamespace(
        info=SimpleNamespace(name=name), data=SimpleNamespace(node_info=SimpleNamespace(node_name=node))
    )


def watch_at(clock: list[float]) -> tuple[SlowQueryWatch, list]:
    alerts: list = []
    watch = SlowQueryWatch(
        10, lambda node, seconds, started_any: alerts.append((node, seconds, started_any)), lambda: clock[0]
    )
    return watch, alerts


def test_a_node_past_the_threshold_is_alerted_once_while_it_runs():
    clock = [0.0]
    watch, alerts = watch_at(clock)
    watch.on_event(event("NodeStart", "stg_legacy__task"))
    clock[0] = 9.0
    watch.check()
    assert alerts == []
    clock[0] = 11.0
    watch.check()
    clock[0] = 30.0
    watch.check()
    assert alerts == [("stg_legacy__task", 11.0, True)]
    watch.on_event(event("NodeFinished", "stg_legacy__task"))
    clock[0] = 35.0
    watch.check()
    assert len(alerts) == 1


def test_an_invocation_without_node_events_is_a_stall_alerted_once_per_stall():
    clock = [0.0]
    watch, alerts = watch_at(clock)
    clock[0] = 12.0
    watch.check()
    watch.check()
    assert alerts == [(None, 12.0, False)]  # before any node: a run-operation, dbt's own queries
    watch.on_event(event("NodeStart", "offices"))
    watch.on_event(event("NodeFinished", "offices"))
    clock[0] = 20.0
    watch.check()
    assert len(alerts) == 1
    clock[0] = 23.0
    watch.check()
    assert alerts[1] == (None, 11.0, True)


def test_other_events_and_fast_nodes_raise_nothing():
    clock = [0.0]
    watch, alerts = watch_at(clock)
    for second in range(1, 40):
        clock[0] = float(second)
        watch.on_event(SimpleNamespace(info=SimpleNamespace(name="MainReportVersion")))
        watch.on_event(event("NodeStart", f"model_{second}"))
        watch.on_event(event("NodeFinished", f"model_{second}"))
        watch.check()
    assert alerts == []


def test_the_thread_stops_with_the_invocation():
    with SlowQueryWatch(10, lambda *alert: None, poll=0.01) as watch:
        assert watch.thread.is_alive()
    assert not watch.thread.is_alive()
