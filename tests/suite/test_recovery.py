"""The specification's recovery actions: rollback_threshold (an execution that quarantines too
much rolls itself back to its before-images) and manual_intervention (a failed gate awaits a
decision: `resume --accept` goes on past it, on the record with who accepted; `rollback` undoes)."""

from __future__ import annotations

import getpass

import pytest
from click.testing import CliRunner
from support import query, reset_target

from runner.cli import main
from runner.config import target_endpoint


def invoke(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env)


def count(relation: str) -> int:
    return query(target_endpoint(), f"select count(*) from {relation}")[0][0]


def latest() -> dict:
    row = query(
        target_endpoint(),
        "select id::text, status, message from cutover_audit.executions order by started_at desc limit 1",
    )[0]
    return {"id": row[0], "status": row[1], "message": row[2]}


@pytest.fixture(scope="module")
def migrated(generated_legacy, target_super):
    """A completed first load, then half the legacy orders given a status nobody knows."""
    reset_target(target_super)
    first = invoke("run")
    assert first.exit_code == 0, first.output
    before = {"orders": count("app.orders"), "tasks": count("app.tasks")}
    broken = [r[0] for r in query(generated_legacy, "select id from dispatch_order where id % 2 = 0")]
    query(generated_legacy, "update dispatch_order set status = 99 where id = any(%s)", (broken,))
    return before


def test_above_the_rollback_threshold_the_execution_rolls_itself_back(migrated):
    env = {"CUTOVER_ERROR_TOLERANCE": "20", "CUTOVER_ROLLBACK_THRESHOLD": "30"}
    result = invoke("run", env=env)
    assert result.exit_code == 1
    assert "above the rollback threshold of 30%" in result.output
    assert "was rolled back to its before-images" in result.output
    assert "Traceback" not in result.output
    # the target is as the first load left it
    assert count("app.orders") == migrated["orders"] and count("app.tasks") == migrated["tasks"]
    execution = latest()
    assert execution["status"] == "failed" and "rolled back" in execution["message"]
    status = invoke("status")
    assert "failed, then rolled back" in status.output


def test_a_threshold_below_the_tolerance_is_refused_in_one_sentence(migrated):
    result = invoke("run", env={"CUTOVER_ERROR_TOLERANCE": "20", "CUTOVER_ROLLBACK_THRESHOLD": "10"})
    assert result.exit_code == 1
    assert "The rollback threshold (10%) is below the error tolerance (20%)" in result.output


def test_manual_intervention_awaits_a_decision_that_accept_or_rollback_takes(migrated, tmp_path):
    settings = tmp_path / "cutover.yml"
    settings.write_text(
        "profiles:\n  development:\n    migration:\n      manual_intervention: true\n"
        "    error_classes:\n      critical: ['reason:unknown_status']\n"
    )
    env = {"CUTOVER_SETTINGS_FILE": str(settings)}
    stopped = invoke("run", env=env)
    assert stopped.exit_code == 1
    assert "rows quarantined for unknown_status, a critical reason" in stopped.output
    assert "awaits a decision: `cutover resume --accept` goes on past this gate" in stopped.output
    waiting = latest()
    assert waiting["status"] == "awaiting_decision"

    # each later gate the same reason fails awaits its own decision (tasks have unknown statuses too)
    accepted, rounds = invoke("resume", "--accept", env=env), 1
    assert f"Gate accepted by {getpass.getuser()}" in accepted.output
    while accepted.exit_code == 1 and "awaits a decision" in accepted.output and rounds < 7:
        accepted, rounds = invoke("resume", "--accept", env=env), rounds + 1
    assert accepted.exit_code == 0, accepted.output
    done = latest()
    assert (done["id"], done["status"]) == (waiting["id"], "completed")
    entries = query(
        target_endpoint(),
        "select message, metadata from cutover_audit.audit_entries "
        "where execution_id = %s and metadata ? 'accepted_by' order by id",
        (waiting["id"],),
    )
    assert len(entries) == rounds and {e[1]["accepted_by"] for e in entries} == {getpass.getuser()}
    assert "orders" in entries[0][1]["entities"] and "accepted by" in entries[0][0]
    assert count("app.orders") < migrated["orders"]  # the broken orders are quarantined now

    again = invoke("resume", "--accept", env=env)
    assert again.exit_code == 1 and "does not await a decision" in again.output

    undone = invoke("rollback", "--all", "--yes")
    assert undone.exit_code == 0, undone.output
    assert count("app.orders") == migrated["orders"]
