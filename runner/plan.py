"""The execution plan, derived from the dbt manifest (never from a second list of entities):
phases in order, steps of entities that can run in parallel, the critical path, volume classes
from live legacy counts, and estimated durations from the throughput of earlier runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from runner.config import PROJECT_DIR
from runner.errors import CutoverError
from runner.model import EntitySpec, ExecutionPlan, ExecutionStep, PlannedEntity, volume_class

if TYPE_CHECKING:
    from runner.dbt import DbtProject

DEFAULT_ROWS_PER_SECOND = 20_000.0
MIN_STEP_SECONDS = 1.0


def entities_from_manifest(manifest) -> dict[str, EntitySpec]:
    """Every target entity (a model under models/migrated) with its phase, metadata and the
    entities it depends on: those its model or its validated intermediate model ref()."""
    nodes = manifest.nodes
    uid_by_name = {
        node.name: uid
        for uid, node in nodes.items()
        if node.resource_type == "model" and "migrated" in node.fqn
    }
    name_by_uid = {uid: name for name, uid in uid_by_name.items()}
    specs = {}
    for name, uid in uid_by_name.items():
        node = nodes[uid]
        parents = set(node.depends_on.nodes)
        validated = nodes.get(f"model.{node.package_name}.int_{name}__validated")
        if validated is not None:
            parents |= set(validated.depends_on.nodes)
        meta = node.meta
        specs[name] = EntitySpec(
            name=name,
            phase=int(meta["phase"]),
            phase_name=str(meta.get("phase_name", f"Phase {meta['phase']}")),
            legacy_tables=tuple(meta.get("legacy_tables", ())),
            dependencies=frozenset(
                name_by_uid[p] for p in parents if p in name_by_uid and name_by_uid[p] != name
            ),
            business_criticality=str(meta.get("business_criticality", "important")),
            data_volume=str(meta.get("data_volume", "medium")),
            complexity=str(meta.get("complexity", "moderate")),
            batched=bool(meta.get("batched", False)),
            error_tolerance=float(meta["error_tolerance"]) if "error_tolerance" in meta else None,
        )
    return dict(sorted(specs.items(), key=lambda item: (item[1].phase, item[0])))


def longest_chain(specs: Mapping[str, EntitySpec], weight: Mapping[str, float] | None = None) -> list[str]:
    """The critical path: the dependency chain with the largest total weight (estimated
    seconds; without weights, the most entities), ties broken by name."""
    weight = weight or {}
    memo: dict[str, tuple[float, list[str]]] = {}

    def chain(name: str) -> tuple[float, list[str]]:
        if name not in memo:
            parents = [chain(p) for p in sorted(specs[name].dependencies) if p in specs]
            cost, path = max(parents, key=lambda item: (item[0], len(item[1])), default=(0.0, []))
            memo[name] = (cost + weight.get(name, 1.0), [*path, name])
        return memo[name]

    best = max(
        (chain(name) for name in sorted(specs)), key=lambda item: (item[0], len(item[1])), default=(0, [])
    )
    return best[1]


def build_plan(
    specs: Mapping[str, EntitySpec],
    legacy_counts: Mapping[str, int],
    throughput: Mapping[str, float] | None = None,
    batch_size: int | None = None,
) -> ExecutionPlan:
    """Phases in order; within a phase, a step per dependency level: the entities of one step
    depend on nothing in the same phase that is not in an earlier step, so they can run in
    parallel. A validation checkpoint closes every phase. A batched entity's first load takes
    one batch per `batch_size` legacy rows (runner/batches.py)."""
    throughput = throughput or {}
    planned = {}
    for name, spec in specs.items():
        rows = sum(legacy_counts.get(table, 0) for table in spec.legacy_tables[:1])
        rate = throughput.get(name) or DEFAULT_ROWS_PER_SECOND
        batches = max(1, -(-rows // batch_size)) if spec.batched and batch_size else None
        planned[name] = PlannedEntity(spec, rows, volume_class(rows), max(rows / rate, 0.1), batches)
    phases = {spec.phase: spec.phase_name for spec in specs.values()}
    steps: list[ExecutionStep] = []
    for phase in sorted(phases):
        members = [name for name, spec in specs.items() if spec.phase == phase]
        level: dict[str, int] = {}

        def depth(name: str, members: list[str] = members, level: dict[str, int] = level) -> int:
            if name not in level:
                inner = [p for p in specs[name].dependencies if p in members]
                level[name] = 1 + max((depth(p) for p in inner), default=0)
            return level[name]

        for name in members:
            depth(name)
        last = max(level.values(), default=0)
        for number in range(1, last + 1):
            group = sorted(name for name in members if level[name] == number)
            steps.append(
                ExecutionStep(
                    step_number=len(steps) + 1,
                    phase=phase,
                    entities=group,
                    can_run_in_parallel=len(group) > 1,
                    estimated_duration=max(
                        max(planned[name].estimated_seconds for name in group), MIN_STEP_SECONDS
                    ),
                    validation_checkpoint=number == last,
                )
            )
    weights = {name: e.estimated_seconds for name, e in planned.items()}
    return ExecutionPlan(
        phases=phases, entities=planned, steps=steps, critical_path=longest_chain(specs, weights)
    )


def select_entities(
    specs: Mapping[str, EntitySpec],
    phases: tuple[int, int] | None = None,
    entities: tuple[str, ...] = (),
    with_dependencies: bool = False,
) -> list[str]:
    """The entities a run covers: a phase range and/or named entities, optionally with
    everything they depend on; in phase order."""
    unknown = [name for name in entities if name not in specs]
    if unknown:
        raise ValueError(f"Unknown entity {unknown[0]!r}: choose among {', '.join(specs)}.")
    chosen = set(entities)
    if phases:
        low, high = phases
        chosen |= {name for name, spec in specs.items() if low <= spec.phase <= high}
    if not entities and not phases:
        chosen = set(specs)
    if with_dependencies:
        stack = list(chosen)
        while stack:
            for parent in specs[stack.pop()].dependencies:
                if parent not in chosen:
                    chosen.add(parent)
                    stack.append(parent)
    return [name for name in specs if name in chosen]


def parse_phase_range(text: str, known: set[int]) -> tuple[int, int]:
    """'3' or '2..4' into (low, high), checked against the phases that exist."""
    try:
        if ".." in text:
            low_text, high_text = text.split("..", 1)
            low, high = int(low_text), int(high_text)
        else:
            low = high = int(text)
    except ValueError as exc:
        raise ValueError(f"--phase takes a phase number or a range such as 2..4, not {text!r}.") from exc
    if low > high or low not in known or high not in known:
        raise ValueError(f"--phase {text} is not a range of existing phases ({min(known)} to {max(known)}).")
    return low, high


# Selections the runner knows besides selectors.yml: `final` is everything at the comprehensive
# level (cutover validate --select final, the client's validate:final).
FINAL = "final"


def selector_names(project_dir: Path = PROJECT_DIR) -> list[str]:
    """The named selections of selectors.yml, in their order."""
    document = yaml.safe_load((project_dir / "selectors.yml").read_text()) or {}
    return [item["name"] for item in document.get("selectors", [])]


def selected_by(project: DbtProject, name: str, specs: Mapping[str, EntitySpec]) -> list[str]:
    """The target entities a named selection of selectors.yml holds, in phase order (dbt
    resolves it, as `dbt build --selector NAME` would)."""
    known = selector_names(project.project_dir)
    if name not in known:
        raise CutoverError(f"There is no selection named {name!r}: choose among {', '.join(known)}.")
    chosen = set(project.list_names(selector=name))
    return [entity for entity in specs if entity in chosen]
