"""Value checks of copied columns at the comprehensive level: every column the yml declares taken
from a legacy column (unchanged, trimmed, rounded, converted from the legacy wall clock) equals
the legacy value read again over the wrapper, on every migrated row; a mismatch fails the gate
and `cutover validate`, naming the entity, the column and the legacy ids."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from support import query, reset_target

from runner.cli import main
from runner.config import target_endpoint
from runner.values import RULES, copied_columns


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def test_every_entity_declares_its_copied_columns_with_known_rules(dbt_project):
    nodes = [
        n for n in dbt_project.manifest.nodes.values() if n.resource_type == "model" and "migrated" in n.fqn
    ]
    declared = {n.name: copied_columns(n) for n in nodes}
    assert sum(len(c) for c in declared.values()) >= 80
    assert {c.rule for columns in declared.values() for c in columns} == set(RULES) - {"trim_lower"}
    orders = {c.name: (c.legacy_column, c.rule) for c in declared["orders"]}
    assert orders["order_number"] == ("order_no", "trim")
    assert orders["total_usd"] == ("total", "money")
    assert orders["created_at"] == ("created", "timestamp")


@pytest.fixture(scope="module")
def comprehensive(generated_legacy, target_super):
    reset_target(target_super)
    result = invoke("run", "--validation-level", "comprehensive")
    assert result.exit_code == 0, result.output
    checks = query(
        target_endpoint(),
        "select entity, c from cutover_audit.validation_results, jsonb_array_elements(checks) as c "
        "where c ->> 'name' = 'copied values'",
    )
    return checks


def test_a_comprehensive_run_compares_every_declared_column(comprehensive):
    entities = {entity for entity, _ in comprehensive}
    assert {"orders", "tasks", "patients", "payments", "profiles"} <= entities
    assert all(check["status"] == "passed" for _, check in comprehensive)


def test_a_value_changed_in_the_target_fails_validate_and_the_gate(comprehensive, target_super):
    legacy_id = query(target_endpoint(), "select min(legacy_id) from app.orders")[0][0]
    query(target_super, "update app.orders set notes = 'changed by hand' where legacy_id = %s", (legacy_id,))
    query(
        target_super,
        "update app.tasks set created_at = created_at + interval '1 hour' "
        "where legacy_id = (select min(legacy_id) from app.tasks)",
    )
    try:
        validated = invoke("validate", "--level", "comprehensive")
        assert validated.exit_code == 1
        assert f"orders.notes: 1 row differs from legacy (legacy ids {legacy_id})" in validated.output
        gate = invoke("run", "--validation-level", "comprehensive")
        assert gate.exit_code == 1
        assert "Phase 2 stopped the run" in gate.output and "orders.notes: 1 row differs" in gate.output
    finally:
        reset_target(target_super)
