"""Error classes from the profile (the client's critical, major, minor, warning): a run stopped or
let through by a quarantine reason's class (the classing itself: tests/unit/test_failures.py)."""

from __future__ import annotations

from click.testing import CliRunner
from support import query, reset_target

from runner.cli import main
from runner.config import target_endpoint


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
