"""What reviewers read: the dbt docs lineage in a real browser, documentation coverage, sqlfluff.

The browser test uses Debian's Chromium (installed here with apt-get where it is missing) driven
by Playwright; its screenshot is kept in test-artefacts/ (CUTOVER_TEST_ARTEFACTS) for review.
"""

from __future__ import annotations

import itertools
import json
import socket
import subprocess
import sys
import time
from collections import deque
from pathlib import Path

import pytest
from support import ARTEFACTS, CHROMIUM_FLAGS, chromium, query

from runner import doccheck
from runner.config import PROJECT_DIR

# The chain the stakeholders must see: tasks back to offices through the target entities.
TASKS_CHAIN = ("offices", "doctors", "patients", "orders", "tasks")
# What the screenshot leaves out so that the names stay readable: mapping seeds, quarantine and
# audit models (all of them are still in the docs, one click away).
LINEAGE_EXCLUDE = "path:seeds path:models/quarantine path:models/audit"


def wait_for_port(port: int, process: subprocess.Popen, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"`cutover docs` exited with {process.returncode}: {process.stdout.read()}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    pytest.fail(f"`cutover docs` did not serve on port {port} within {seconds} s")


@pytest.fixture(scope="module")
def built(generated_legacy, dbt_project, target_super):
    """The whole project built on a fresh target, so the docs catalog has every real column."""
    schemas = "app, staging, intermediate, quarantine, audit, mapping"
    query(target_super, f"drop schema if exists {schemas} cascade")
    result = dbt_project.invoke(["build"])
    assert result.success, [(n.name, n.message) for n in result.failed()] or result.error
    return dbt_project


@pytest.fixture(scope="module")
def docs_server(built):
    """`cutover docs` as a user runs it: generate, then serve on localhost until stopped."""
    from cutover_dev.servers import free_port

    port = free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("cutover")), "docs", "--port", str(port)],
        cwd=PROJECT_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_lineage_of_tasks_in_a_browser_reaches_back_to_offices(docs_server):
    """The docs, opened in headless Chromium, draw tasks' lineage from the legacy tables through
    staging and the validated models, back to offices, and on to the new application."""
    from playwright.sync_api import sync_playwright

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTEFACTS / "docs-lineage-tasks.png"
    url = f"{docs_server}/#!/overview?g_v=1&g_i=%2Btasks%2B&g_e={LINEAGE_EXCLUDE.replace(' ', '%20')}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 2400, "height": 900})
            page.goto(url)
            # dbt docs draws the lineage with Cytoscape.js and keeps the graph in window.graph.
            page.wait_for_function(
                "() => window.graph && window.graph.nodes().length > 0"
                " && window.graph.getElementById('model.cutover.offices').length > 0",
                timeout=120_000,
            )
            graph = page.evaluate(
                """() => ({
                    nodes: window.graph.nodes().map(n => ({id: n.id(), label: n.data('label')})),
                    edges: window.graph.edges().map(e => [e.source().id(), e.target().id()]),
                })"""
            )
            # Labels on every node (dbt docs' own horizontal style), laid out left to right.
            page.evaluate(
                """() => {
                    window.graph.elements().addClass('horizontal');
                    window.graph.layout({name: 'dagre', rankDir: 'LR', rankSep: 120, nodeSep: 8}).run();
                    window.graph.fit(undefined, 20);
                }"""
            )
            page.wait_for_timeout(1000)
            page.screenshot(path=str(screenshot))
        finally:
            browser.close()

    labels = {node["label"] for node in graph["nodes"]}
    assert set(TASKS_CHAIN) <= labels
    layers = {"legacy.dispatch_task", "stg_legacy__task", "int_tasks__validated", "New lab application"}
    assert layers <= labels
    children: dict[str, set[str]] = {}
    for source, target in graph["edges"]:
        children.setdefault(source, set()).add(target)
    for parent, child in itertools.pairwise(TASKS_CHAIN):
        assert reachable(children, f"model.cutover.{parent}", f"model.cutover.{child}"), (parent, child)
    assert reachable(children, "source.cutover.legacy.dispatch_office", "model.cutover.tasks")
    assert reachable(children, "model.cutover.tasks", "exposure.cutover.new_application")
    assert screenshot.stat().st_size > 20_000


def reachable(children: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, todo = {start}, deque([start])
    while todo:
        node = todo.popleft()
        if node == goal:
            return True
        for child in children.get(node, ()):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return False


def test_documentation_and_test_coverage_is_complete(docs_server, built):
    """Every model, seed, source, macro, exposure and group described; every model and seed
    tested; every column the built database really has declared and described."""
    catalog = json.loads((built.target_path() / "catalog.json").read_text())
    coverage = doccheck.check(built.manifest, PROJECT_DIR, catalog)
    assert coverage.gaps == []
    assert coverage.counted["models"] >= 118
    assert coverage.counted["macros"] >= 24
    assert len(catalog["nodes"]) >= 118 + 13


def test_sqlfluff_reports_nothing_on_the_models(servers):
    """sqlfluff (dialect postgres, dbt templater) lints every model and singular test clean."""
    sqlfluff = Path(sys.executable).with_name("sqlfluff")
    result = subprocess.run(
        [str(sqlfluff), "lint", "models", "tests/singular", "--processes", "2", "--format", "json"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
    )
    linted = json.loads(result.stdout[result.stdout.index("[") :])
    violations = [(f["filepath"], v["code"], v["description"]) for f in linted for v in f["violations"]]
    assert violations == []
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(linted) >= 118
