"""Documentation and test coverage of the dbt project, read from its parsed manifest.

Stakeholders approve the cutover from the dbt docs, so a node without a description is a gap in
what they review. The rules (each must hold for 100% coverage):

- every model, seed, source table, exposure, group and project macro has a description;
- every column a model, seed or source declares has a description;
- every column of a seed's CSV header is declared, every column of a migrated (target) model
  is declared (their contracts make the declared list the real one), and, given the catalog of
  a built project, every column any model really has;
- every model and seed has at least one data test, or column constraints that its build
  enforces (an enforced contract's; the staging and intermediate models' NOT NULL legacy_id,
  macros/enforce_column_constraints.sql), which no row can break unnoticed.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

PROJECT = "cutover"


@dataclass
class Coverage:
    """What the check counted, and each gap in one line."""

    counted: dict[str, int] = field(default_factory=dict)
    gaps: list[str] = field(default_factory=list)

    def count(self, kind: str, n: int = 1) -> None:
        self.counted[kind] = self.counted.get(kind, 0) + n

    @property
    def complete(self) -> bool:
        return not self.gaps


def check(manifest, project_dir: Path, catalog: dict | None = None) -> Coverage:
    """The documentation and test coverage of the project in `manifest` (a parsed dbt Manifest).

    With `catalog` (dbt's catalog.json, from `dbt docs generate`), every column the database
    really has must be declared too, for every model.
    """
    coverage = Coverage()
    tested = _tested_nodes(manifest)
    for node in manifest.nodes.values():
        if node.package_name != PROJECT or node.resource_type not in ("model", "seed"):
            continue
        kind = str(node.resource_type)
        coverage.count(kind + "s")
        _described(coverage, f"{kind} {node.name}", node.description)
        if node.unique_id not in tested and not _enforced_by_build(node):
            coverage.gaps.append(f"{kind} {node.name} has no data test")
        declared = set(node.columns)
        for column in node.columns.values():
            coverage.count(f"{kind} columns")
            _described(coverage, f"column {node.name}.{column.name}", column.description)
        expected = _expected_columns(node, project_dir, catalog)
        for name in sorted(expected - declared):
            coverage.count(f"{kind} columns")
            coverage.gaps.append(f"column {node.name}.{name} is not declared, so it has no description")
    for source in manifest.sources.values():
        if source.package_name != PROJECT:
            continue
        coverage.count("source tables")
        _described(coverage, f"source {source.source_name}.{source.name}", source.description)
        for column in source.columns.values():
            coverage.count("source columns")
            _described(coverage, f"column {source.name}.{column.name}", column.description)
    described_only = (
        ("macro", [m for m in manifest.macros.values() if m.package_name == PROJECT]),
        ("exposure", manifest.exposures.values()),
        ("group", manifest.groups.values()),
    )
    for kind, items in described_only:
        for item in items:
            coverage.count(kind + "s")
            _described(coverage, f"{kind} {item.name}", item.description)
    return coverage


def _described(coverage: Coverage, what: str, description: str | None) -> None:
    if not (description or "").strip():
        coverage.gaps.append(f"{what} has no description")


def _enforced_by_build(node) -> bool:
    if not any(column.constraints for column in node.columns.values()):
        return False
    hooks = " ".join(hook.sql for hook in node.config.post_hook)
    return node.config.contract.enforced or "enforce_column_constraints()" in hooks


def _tested_nodes(manifest) -> set[str]:
    tested: set[str] = set()
    for node in manifest.nodes.values():
        if node.resource_type == "test":
            tested.update(node.depends_on.nodes)
    return tested


def _expected_columns(node, project_dir: Path, catalog: dict | None) -> set[str]:
    """The columns a node really has: the database's catalog where given, else the CSV header
    of a seed; a model's contract makes its declared columns the real ones."""
    if catalog is not None and node.unique_id in catalog.get("nodes", {}):
        return {name.lower() for name in catalog["nodes"][node.unique_id]["columns"]}
    if node.resource_type == "seed":
        with open(project_dir / node.original_file_path, newline="") as handle:
            return set(next(csv.reader(handle), []))
    return set(node.columns)
