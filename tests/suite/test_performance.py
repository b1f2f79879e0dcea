"""The post-validation performance check: throughput against the profile's expectation and against
the previous execution of the profile, the slowest models; warnings in `cutover validate`, the
audit trail and the report, never a stop."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from support import query, reset_target

from runner.audit import AuditStore
from runner.cli import main
from runner.config import target_endpoint
from runner.performance import performance_checks
from runner.report import report_dir
from runner.settings import load_profile


@pytest.fixture(scope="module")
def first_load(generated_legacy, target_super) -> str:
    reset_target(target_super)
    result = CliRunner().invoke(main, ["run"])
    assert result.exit_code == 0, result.output
    return str(query(target_endpoint(), "select id from cutover_audit.executions")[0][0])


def test_the_run_records_its_performance_check_and_the_report_shows_it(first_load):
    recorded = query(
        target_endpoint(),
        "select overall_status, checks from cutover_audit.validation_results "
        "where execution_id = %s and entity = 'performance'",
        (first_load,),
    )
    assert recorded
    names = {c["name"] for c in recorded[0][1]}
    assert "throughput (all entities)" in names and "slowest models (all entities)" in names
    slowest = next(c for c in recorded[0][1] if c["name"].startswith("slowest"))["message"]
    assert len(slowest.split(", ")) == 5 and all(part.endswith(" s") for part in slowest.split(", "))
    trail = query(
        target_endpoint(),
        "select message from cutover_audit.audit_entries "
        "where execution_id = %s and message like 'performance:%%'",
        (first_load,),
    )
    assert trail
    markdown = (report_dir() / f"cutover-{first_load[:8]}.md").read_text()
    assert "| performance |" in markdown.split("## ")[1]


def test_throughput_below_the_expectation_or_the_previous_execution_is_a_warning(first_load, target_super):
    profile = load_profile("development")
    with AuditStore(target_endpoint()) as store:
        calm = performance_checks(store, first_load, profile)
        assert [c for c in calm if c.status == "warning" and c.name.startswith("throughput")] == []
        demanding = profile.model_copy(
            update={
                "monitoring": profile.monitoring.model_copy(
                    update={
                        "alerting": profile.monitoring.alerting.model_copy(
                            update={"min_rows_per_second": 100_000_000.0}
                        )
                    }
                )
            }
        )
        slow = [c for c in performance_checks(store, first_load, demanding) if c.status == "warning"]
        assert any(c.subject == "tasks" and "below the expected 100,000,000" in c.detail for c in slow)

    # an earlier execution of the profile that loaded tasks a thousand times faster
    query(
        target_super,
        "insert into cutover_audit.executions (id, feature_name, profile, status, started_at) "
        "values ('00000000-0000-0000-0000-000000000001', 'legacy cutover', 'development', 'completed', "
        "now() - interval '1 day')",
    )
    query(
        target_super,
        "insert into cutover_audit.entity_runs (execution_id, entity, phase, status, rows_written, seconds, "
        "rows_per_second) select '00000000-0000-0000-0000-000000000001', entity, phase, 'completed', "
        "rows_written, seconds / 1000, rows_per_second * 1000 from cutover_audit.entity_runs "
        "where execution_id = %s and entity = 'tasks'",
        (first_load,),
    )
    with AuditStore(target_endpoint()) as store:
        slower = [c for c in performance_checks(store, first_load, profile) if c.status == "warning"]
    assert any(
        c.subject == "tasks" and "in execution 00000000-0000-0000-0000-000000000001 (-100%" in c.detail
        for c in slower
    ), slower


def test_validate_shows_the_performance_check(first_load):
    result = CliRunner().invoke(main, ["validate"])
    assert "performance: throughput" in result.output and "performance: slowest models" in result.output
