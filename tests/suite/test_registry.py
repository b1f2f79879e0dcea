"""entity_registry() stays in step with the models: check_entity_registry (run with the
reconciliation's set-up) names an entity whose yml meta and registry disagree."""

from __future__ import annotations

import os
import shutil

from runner.config import PROJECT_DIR
from runner.dbt import DbtProject

KEEP_OUT = {".venv", ".cutover", "target", "reports", "logs", "test-artefacts", ".git", ".pytest_cache"}


def test_the_registry_agrees_with_every_entitys_meta(dbt_project):
    result = dbt_project.invoke(["run-operation", "check_entity_registry"])
    assert result.success, result.reason()


def test_a_legacy_table_declared_in_meta_but_not_registered_stops_the_invocation(servers, tmp_path):
    project_dir = tmp_path / "project"
    shutil.copytree(PROJECT_DIR, project_dir, ignore=lambda _, names: [n for n in names if n in KEEP_OUT])
    yml = project_dir / "models" / "migrated" / "1_foundation" / "_1_foundation__models.yml"
    text = yml.read_text()
    assert "legacy_tables: [dispatch_office]" in text
    yml.write_text(
        text.replace("legacy_tables: [dispatch_office]", "legacy_tables: [dispatch_office, dispatch_doctor]")
    )
    project = DbtProject(
        project_dir=project_dir, env={**os.environ, "DBT_TARGET_PATH": str(tmp_path / "target")}
    )
    result = project.invoke(["run-operation", "check_entity_registry"])
    assert not result.success
    assert "offices: its meta names legacy tables" in " ".join(result.error.split())
