"""The client's named selections (selectors.yml, its scripts migrate:core, migrate:core-with-patients,
migrate:orders-with-deps, migrate:all, validate:core|all|final, rollback:core|all): one definition
for dbt on its own and for the runner's run, plan, validate and rollback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import query, reset_target

from runner.cli import main
from runner.config import PROJECT_DIR, target_endpoint
from runner.plan import entities_from_manifest, selected_by, selector_names

FOUNDATION = {"offices", "categories", "profiles"}
CORE = FOUNDATION | {"doctors"}


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def built(entity: str) -> bool:
    return query(target_endpoint(), "select to_regclass(%s) is not null", (f"app.{entity}",))[0][0]


def test_the_specifications_selections_are_defined(dbt_project):
    names = selector_names()
    assert {"core", "core_with_patients", "orders_with_deps", "all"} <= set(names)
    assert {f"phase_{n}" for n in range(1, 8)} <= set(names)


def test_each_selection_holds_the_entities_of_its_script(dbt_project):
    specs = entities_from_manifest(dbt_project.manifest)

    def entities(name: str) -> set[str]:
        return set(selected_by(dbt_project, name, specs))

    assert entities("core") == CORE
    assert entities("core_with_patients") == CORE | {"patients"}
    assert entities("orders_with_deps") == {"offices", "profiles", "doctors", "patients", "orders"}
    assert entities("all") == set(specs)
    assert {e for e in entities("phase_4") if specs[e].phase == 4} == {
        "offers",
        "discounts",
        "payments",
        "purchases",
    }
    # a phase's selection reads what it needs: it builds on an empty target
    assert {"orders", "profiles"} <= entities("phase_4")


def test_dbt_build_selector_core_with_patients_on_its_own(fresh_legacy, target_super):
    """The dbt command alone, as a reviewer would type it, on an empty target."""
    reset_target(target_super)
    dbt = Path(sys.executable).parent / "dbt"
    result = subprocess.run(
        [
            str(dbt),
            "build",
            "--selector",
            "core_with_patients",
            "--project-dir",
            str(PROJECT_DIR),
            "--profiles-dir",
            str(PROJECT_DIR / "profiles"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert all(built(e) for e in CORE | {"patients"})
    assert not built("orders")
    assert query(target_endpoint(), "select count(*) from app.patients")[0][0] > 0


def test_the_runner_plans_runs_validates_and_rolls_back_a_selection(fresh_legacy, target_super):
    reset_target(target_super)
    planned = invoke("plan", "--select", "core_with_patients", "--json")
    assert planned.exit_code == 0, planned.output
    assert set(json.loads(planned.output)["entities"]) == CORE | {"patients"}

    run = invoke("run", "--select", "core")
    assert run.exit_code == 0, run.output
    assert all(built(e) for e in CORE) and not built("patients")
    selection = query(
        target_endpoint(), "select selection from cutover_audit.executions order by started_at desc limit 1"
    )[0][0]
    assert selection["selector"] == "core"

    validated = invoke("validate", "--select", "core")
    assert validated.exit_code == 0, validated.output
    # final: every entity at the comprehensive level; with only core migrated it fails, naming one
    final = invoke("validate", "--select", "final")
    assert final.exit_code == 1 and "Validation failed:" in final.output

    rolled = invoke("rollback", "--select", "core", "--yes")
    assert rolled.exit_code == 0, rolled.output
    assert query(target_endpoint(), "select count(*) from app.doctors")[0][0] == 0


@pytest.mark.parametrize(
    "args",
    [
        ["plan", "--select", "nope"],
        ["run", "--select", "nope"],
        ["validate", "--select", "nope"],
        ["rollback", "--select", "nope", "--yes"],
    ],
)
def test_an_unknown_selection_is_one_sentence(generated_legacy, args):
    result = invoke(*args)
    assert result.exit_code == 1, result.output
    assert "There is no selection named 'nope': choose among core, core_with_patients" in result.output


def test_select_does_not_combine_with_phase_or_entity(generated_legacy):
    result = invoke("run", "--select", "core", "--phase", "2")
    assert result.exit_code == 1
    assert "--select names a whole selection" in result.output
