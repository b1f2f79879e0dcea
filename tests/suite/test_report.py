"""The rehearsal report a migration lead decides on, over two rehearsals with legacy fixed and
broken in between: the go/no-go summary, the quarantine by reason, what changed (rows fixed and
broken), the quarantine export, the HTML in headless Chromium, and a run stopped by a gate."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from support import ARTEFACTS, CHROMIUM_FLAGS, chromium, query, reset_target

from runner import outcomes
from runner.cli import main
from runner.config import target_endpoint
from runner.report import report_dir

SECTIONS = ("summary", "changes", "timeline", "quarantine", "data-quality", "entities")


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def latest_execution() -> str:
    return str(
        query(target_endpoint(), "select id from cutover_audit.executions order by started_at desc limit 1")[
            0
        ][0]
    )


def report_text(execution_id: str, suffix: str) -> str:
    return (report_dir() / f"cutover-{execution_id[:8]}.{suffix}").read_text()


@dataclass
class Rehearsals:
    first: str
    second: str
    fixed: list[int]  # orders quarantined for their status in the first, corrected in legacy
    broken: list[int]  # orders migrated in the first, given an unknown status in legacy


@pytest.fixture(scope="module")
def rehearsals(generated_legacy, admin, target_super) -> Rehearsals:
    reset_target(target_super)
    first = invoke("run")
    assert first.exit_code == 0, first.output
    first_id = latest_execution()
    target = target_endpoint()
    fixed = [
        r[0]
        for r in query(
            target,
            "select legacy_id from quarantine.quarantine_orders "
            "where reject_reason = 'unknown_status' order by 1",
        )
    ]
    broken = [r[0] for r in query(target, "select legacy_id from app.orders order by legacy_id limit 3")]
    assert fixed and len(broken) == 3
    reasons = {
        (entity, reason)
        for entity, reason in query(target, "select distinct entity, reject_reason from audit.quarantine")
    }
    assert ("cases", "unknown_state") in reasons and ("payments", "unknown_method") not in reasons
    # the client's staff fix the statuses and the states (a reason disappears); meanwhile
    # someone breaks three orders and gives a payment a method nobody knows (one appears)
    query(admin, "update dispatch_order set status = 1 where id = any(%s)", (fixed,))
    query(admin, "update dispatch_order set status = 99 where id = any(%s)", (broken,))
    query(admin, "update dispatch_case set state = 'open' where state = 'limbo'")
    query(
        admin,
        "update dispatch_payment set method = 'barter' where id = %s",
        query(
            target,
            "select min(p.legacy_id) from app.payments as p join app.orders as o on o.id = p.order_id "
            "where o.legacy_id <> all(%s)",
            (broken,),
        )[0],
    )
    second = invoke("run")
    assert second.exit_code == 0, second.output
    assert f"cutover-{latest_execution()[:8]}.html" in second.output
    return Rehearsals(first_id, latest_execution(), fixed, broken)


def test_the_report_opens_with_go_no_go_and_the_completeness_proof(rehearsals):
    markdown = report_text(rehearsals.second, "md")
    summary = markdown.split("## ")[1]
    assert summary.startswith("Go / no-go")
    assert "Fit for go-live: every live legacy row is migrated, quarantined or merged" in summary
    assert (
        "| completeness by id | passed |" in summary
        and "each migrated, quarantined or merged once" in summary
    )
    assert "| gates | passed |" in summary and "| error tolerance | passed |" in summary
    assert "| orders |" in summary  # each entity against its tolerance


def test_quarantine_by_reason_gives_the_rule_share_and_offending_values(rehearsals):
    markdown = report_text(rehearsals.second, "md")
    quarantine = markdown.split("## Quarantine by reason")[1].split("## ")[0]
    row = next(line for line in quarantine.splitlines() if line.startswith("| orders | unknown_status |"))
    assert "The status is not one of the spellings in the entity's status seed" in row
    assert f"{rehearsals.broken[0]} (legacy_status=99)" in row
    # a reason whose values are personal shows ids only
    issues = markdown.split("## Data-quality issues by kind")[1].split("## ")[0]
    assert "invalid_email" in issues and "personal data: values in the export" in issues


def test_no_personal_value_in_the_reports(rehearsals, admin):
    emails = [
        r[0] for r in query(admin, "select email from dispatch_patient where email like '%@%' limit 200")
    ]
    birth_dates = [
        r[0] for r in query(admin, "select birth_date from dispatch_patient where birth_date <> ''")
    ]
    for suffix in ("md", "html"):
        text = report_text(rehearsals.second, suffix)
        assert not [e for e in emails if e in text], suffix
        assert not [b for b in birth_dates[:200] if f"'{b}'" in text], suffix


def test_what_changed_counts_rows_fixed_and_broken_with_examples(rehearsals):
    with psycopg.connect(target_endpoint().conninfo(), autocommit=True) as conn:
        moved = outcomes.movements(conn, rehearsals.second, rehearsals.first)
        migrated_now = {r[0] for r in conn.execute("select legacy_id from app.orders").fetchall()}
    broken = [m for m in moved if m.kind == "broken" and m.entity == "orders"]
    assert [(m.reason, m.rows, list(m.examples)) for m in broken] == [
        ("unknown_status", 3, sorted(rehearsals.broken))
    ]
    fixed = [m for m in moved if m.kind == "fixed" and m.entity == "orders"]
    assert [m.reason for m in fixed] == ["unknown_status"]
    assert fixed[0].rows == len(set(rehearsals.fixed) & migrated_now) > 0
    # the orders' children follow them: tasks of the broken orders are quarantined now
    assert any(m.kind == "broken" and m.entity == "tasks" and m.reason == "orphan_order" for m in moved)
    assert ("unknown_method", 1) in [
        (m.reason, m.rows) for m in moved if m.kind == "broken" and m.entity == "payments"
    ]

    markdown = report_text(rehearsals.second, "md")
    changes = markdown.split("## Since the previous rehearsal")[1].split("## ")[0]
    assert f"Compared with execution {rehearsals.first}" in changes
    assert "| orders | dispatch_order | broken (now quarantined) | unknown_status | 3 |" in changes
    assert (
        f"| orders | dispatch_order | fixed (was quarantined) | unknown_status | {fixed[0].rows} |" in changes
    )
    assert "| payments | quarantine | unknown_method | appeared | 1 |" in changes
    assert "| cases | quarantine | unknown_state | disappeared |" in changes
    orders = next(line for line in changes.splitlines() if line.startswith("| orders |"))
    assert f"| {fixed[0].rows - 3:+,} |" in orders  # migrated: fixed ones in, broken ones out
    assert "**Duration per phase**" in changes and "| 1 | Foundation |" in changes

    # the first rehearsal has nothing before it; --compare names any execution
    assert "## Since the previous rehearsal" not in report_text(rehearsals.first, "md")
    compared = invoke("report", rehearsals.first, "--compare", rehearsals.second)
    assert compared.exit_code == 0, compared.output
    backwards = report_text(rehearsals.first, "md")
    assert "| orders | dispatch_order | fixed (was quarantined) | unknown_status | 3 |" in backwards
    bad = invoke("report", "--compare", "no-such-execution")
    assert bad.exit_code == 1 and "no-such-execution" in bad.output


def test_the_export_writes_the_rows_to_fix_one_file_per_entity(rehearsals, tmp_path):
    result = invoke(
        "quarantine",
        "export",
        "--entity",
        "orders",
        "--reason",
        "unknown_status",
        "--output",
        str(tmp_path / "csv"),
    )
    assert result.exit_code == 0, result.output
    assert "personal data" in result.output
    with (tmp_path / "csv" / "quarantine-orders.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["legacy_id"]) for r in rows] == sorted(rehearsals.broken)
    assert {r["legacy_status"] for r in rows} == {"99"} and {r["reject_reason"] for r in rows} == {
        "unknown_status"
    }
    assert rows[0]["rule"].startswith("The status is not one of the spellings")
    assert list(tmp_path.joinpath("csv").iterdir()) == [tmp_path / "csv" / "quarantine-orders.csv"]

    result = invoke("quarantine", "export", "--format", "json", "--output", str(tmp_path / "json"))
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in (tmp_path / "json").iterdir())
    quarantined = query(target_endpoint(), "select distinct entity from audit.quarantine order by 1")
    assert files == [f"quarantine-{e}.json" for (e,) in quarantined]
    patients = json.loads((tmp_path / "json" / "quarantine-patients.json").read_text())
    assert patients and {"first_name", "last_name", "email"} <= set(patients[0]["original_values"])

    # the rows the first rehearsal quarantined for their status have all left the quarantine
    result = invoke(
        "quarantine",
        "export",
        "--execution",
        rehearsals.first,
        "--entity",
        "orders",
        "--reason",
        "unknown_status",
        "--output",
        str(tmp_path / "first"),
    )
    assert result.exit_code == 0, result.output
    assert "No quarantined row matches" in result.output
    assert (
        f"{len(rehearsals.fixed)} rows that execution quarantined have left the quarantine since"
        in result.output
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--entity", "nope"], "No entity named nope has a quarantine"),
        (["--reason", "nope"], "No reject reason is named nope"),
        (["--execution", "no-such-execution"], "no-such-execution"),
    ],
)
def test_the_export_refuses_unknown_names_in_one_sentence(rehearsals, args, message, tmp_path):
    result = invoke("quarantine", "export", *args, "--output", str(tmp_path))
    assert result.exit_code == 1 and message in result.output, result.output
    assert "Traceback" not in result.output and not list(tmp_path.iterdir())


def test_the_html_report_in_chromium_is_whole_self_contained_and_printable(rehearsals):
    """Opened from its file in headless Chromium: every section is there and drawn, it asks for
    nothing beyond its own file, its links reach the export, and it prints; the screenshot stays
    in test-artefacts/ for review."""
    from playwright.sync_api import sync_playwright

    path = report_dir() / f"cutover-{rehearsals.second[:8]}.html"
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            requests: list[str] = []
            page.on("request", lambda request: requests.append(request.url))
            page.goto(path.as_uri())
            present = page.evaluate(
                "ids => ids.map(id => { const s = document.getElementById(id); "
                "return s ? s.getBoundingClientRect().height : 0; })",
                list(SECTIONS),
            )
            verdict = page.inner_text(".verdict")
            charts = page.eval_on_selector_all("svg rect", "rects => rects.length")
            links = page.eval_on_selector_all("#quarantine a", "links => links.map(a => a.href)")
            overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            page.screenshot(path=str(ARTEFACTS / "rehearsal-report.png"), full_page=True)
            page.pdf(path=str(ARTEFACTS / "rehearsal-report.pdf"))
        finally:
            browser.close()
    assert all(height > 0 for height in present), dict(zip(SECTIONS, present, strict=True))
    assert verdict.startswith("Fit for go-live")
    assert charts > 50
    assert links and all(Path(link.removeprefix("file://")).is_file() for link in links)
    assert requests == [path.as_uri()]
    assert overflow <= 0  # readable on a laptop screen without scrolling sideways
    assert (ARTEFACTS / "rehearsal-report.pdf").stat().st_size > 10_000


def test_a_run_stopped_by_a_gate_gets_a_no_go_report(rehearsals):
    stopped = invoke("run", "--error-tolerance", "0.1")
    assert stopped.exit_code == 1
    assert "Report:" in stopped.output and "stopped the run" in stopped.output, stopped.output
    markdown = report_text(latest_execution(), "md")
    verdict = markdown.split("## Go / no-go")[1].split("\n\n")[1]
    assert verdict.startswith("Not fit for go-live: the execution is failed")
    assert "gate failed" in verdict or "gates failed" in verdict
    assert "quarantine above the error tolerance: " in verdict
    # what it stopped on is recorded all the same: every legacy row of the built entities
    assert "| completeness by id | passed |" in markdown
