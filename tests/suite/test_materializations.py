"""The table materialization's override (macros/materializations/table.sql) keeps dbt's relation
cache in step with its SQL swap: a view over a table model is rebuilt by its own model, run after
run, as with dbt's own materialization (found with dbt-project-evaluator's views)."""

from __future__ import annotations

import os
import shutil

from support import query

from runner.config import PROJECT_DIR, target_endpoint
from runner.dbt import DbtProject

KEEP_OUT = {".venv", ".cutover", "target", "reports", "logs", "test-artefacts", ".git", ".pytest_cache"}


def test_a_view_over_a_table_model_survives_two_builds(generated_legacy, tmp_path):
    project_dir = tmp_path / "project"
    shutil.copytree(PROJECT_DIR, project_dir, ignore=lambda _, names: [n for n in names if n in KEEP_OUT])
    (project_dir / "models" / "probe").mkdir()
    (project_dir / "models" / "probe" / "probe_categories.sql").write_text(
        "{{ config(materialized='view', schema='probe') }}\nselect * from {{ ref('stg_legacy__category') }}\n"
    )
    (project_dir / "models" / "probe" / "_probe.yml").write_text(
        "version: 2\nmodels:\n  - name: probe_categories\n    description: A view over a table model.\n"
    )
    project = DbtProject(
        project_dir=project_dir, env={**os.environ, "DBT_TARGET_PATH": str(tmp_path / "target")}
    )
    for attempt in (1, 2):
        result = project.invoke(["build", "--select", "stg_legacy__category", "probe_categories"])
        assert result.success, (attempt, result.reason())
        assert {n.name for n in result.nodes if n.status == "success"} >= {
            "stg_legacy__category",
            "probe_categories",
        }
    legacy_rows = query(generated_legacy, "select count(*) from dispatch_category")[0][0]
    assert query(target_endpoint(), "select count(*) from probe.probe_categories")[0][0] == legacy_rows
