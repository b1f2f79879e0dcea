"""Error classes from the profile (the client's critical, major, minor, warning) and the retry
backoff strategy: how a failure is classed, and a run stopped or let through by a reason's class."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from support import query, reset_target

from runner.cli import main
from runner.config import target_endpoint
from runner.failures import backoff, class_of_reason, class_of_test, class_of_transient
from runner.settings import ErrorClasses


@pytest.mark.parametrize(
    ("classes", "name", "severity", "expected"),
    [
        ({}, "unique_orders_order_id", "error", "critical"),
        ({}, "accepted_values_x", "warn", "warning"),
        ({"minor": ["test:unique_orders_*"]}, "unique_orders_order_id", "error", "minor"),
        # a name beats a severity, an exact name beats a wildcard
        (
            {"critical": ["test:*"], "warning": ["test:unique_orders_order_id"]},
            "unique_orders_order_id",
            "error",
            "warning",
        ),
        ({"critical": ["severity:warn"]}, "accepted_values_x", "warn", "critical"),
    ],
)
def test_a_failed_test_is_classed_by_name_then_severity(classes, name, severity, expected):
    assert class_of_test(ErrorClasses.model_validate(classes), name, severity) == expected


def test_reasons_and_transient_errors_are_classed():
    default = ErrorClasses()
    assert class_of_reason(default, "orphan_patient") == "minor"
    strict = ErrorClasses.model_validate(
        {"critical": ["reason:orphan_*"], "warning": ["reason:orphan_doctor"]}
    )
    assert class_of_reason(strict, "orphan_patient") == "critical"
    assert class_of_reason(strict, "orphan_doctor") == "warning"
    assert class_of_transient(default) == "major"
    # placing transient in critical alone takes it out of the default major
    assert class_of_transient(ErrorClasses.model_validate({"critical": ["transient"]})) == "critical"


def test_backoff_is_linear_or_exponential():
    assert [backoff(2.0, n, "linear") for n in (1, 2, 3, 4)] == [2.0, 4.0, 6.0, 8.0]
    assert [backoff(2.0, n, "exponential") for n in (1, 2, 3, 4)] == [2.0, 4.0, 8.0, 16.0]


def settings(tmp_path, classes: str) -> dict[str, str]:
    path = tmp_path / "cutover.yml"
    path.write_text(f"profiles:\n  development:\n    error_classes:\n{classes}")
    return {"CUTOVER_SETTINGS_FILE": str(path)}


def test_a_critical_reason_stops_the_run_at_its_gate_naming_it(generated_legacy, target_super, tmp_path):
    reset_target(target_super)
    env = settings(tmp_path, "      critical: ['reason:unknown_status']\n")
    result = CliRunner().invoke(main, ["run"], env=env)
    assert result.exit_code == 1
    assert "Phase 2 stopped the run:" in result.output
    assert "rows quarantined for unknown_status, a critical reason" in result.output
    checks = query(
        target_endpoint(),
        "select c from cutover_audit.validation_results, jsonb_array_elements(checks) as c "
        "where entity = 'orders' and c ->> 'name' = 'critical quarantine reasons'",
    )
    assert checks and checks[-1][0]["status"] == "failed"


def test_reasons_of_class_warning_do_not_count_against_the_tolerance(
    generated_legacy, target_super, tmp_path
):
    reset_target(target_super)
    env = {
        **settings(tmp_path, "      warning: ['severity:warn', 'reason:*']\n      minor: []\n"),
        "CUTOVER_ERROR_TOLERANCE": "0",
    }
    result = CliRunner().invoke(main, ["run"], env=env)
    assert result.exit_code == 0, result.output
    assert query(target_endpoint(), "select count(*) from audit.quarantine")[0][0] > 0
