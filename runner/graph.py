"""The manifest's graph as the phases see it: which models an entity is built from, which can be
built ahead of their phase, which tests guard which entity, and one build's results told per
phase."""

from __future__ import annotations

from dataclasses import dataclass, field

from runner.dbt import FAILED, InvocationResult
from runner.model import ExecutionPlan, MigrationPhase


@dataclass
class NodeGraph:
    """What to build for an entity: its model and the staging, intermediate and quarantine
    models it needs, never another entity nor the models another entity reads directly (its
    verdicts, which a child's verdicts also read to learn what changed): those belong to their
    own phase."""

    manifest: object
    entities: set[str]
    package: str = "cutover"
    _cache: dict[str, list[str]] = field(default_factory=dict)
    _owners: dict[str, str] | None = None
    _ready: dict[tuple[str, frozenset[str]], bool] = field(default_factory=dict)

    def _owner(self, unique_id: str) -> str | None:
        """The entity whose model reads this node directly, if any."""
        if self._owners is None:
            self._owners = {}
            for entity in self.entities:
                entity_node = self.manifest.nodes.get(f"model.{self.package}.{entity}")
                for parent in entity_node.depends_on.nodes if entity_node else []:
                    self._owners.setdefault(parent, entity)
        return self._owners.get(unique_id)

    def reads_only(self, unique_id: str, built: frozenset[str] = frozenset()) -> bool:
        """A model built from legacy tables, seeds and the `built` entities (of phases already
        validated) alone, directly or through other such models (a staging copy, the parsed plan
        documents, the verdicts of a later phase's entity whose parents are all built): nothing
        still to come reads into it, so it can be built before its own phase."""
        key = (unique_id, built)
        if key not in self._ready:
            node = self.manifest.nodes.get(unique_id)
            self._ready[key] = (
                node is not None
                and node.resource_type == "model"
                and node.name not in self.entities
                and all(
                    parent.startswith(("source.", "seed."))
                    or parent.rsplit(".", 1)[1] in built
                    or self.reads_only(parent, built)
                    for parent in node.depends_on.nodes
                )
            )
        return self._ready[key]

    def tests_of(self, models: list[str], built: frozenset[str], pending: set[str]) -> list[str]:
        """The tests that read these models and otherwise only what is built before them (legacy,
        seeds, the `built` entities and the models that read only those, apart from the
        `pending` ones), so that they can run beside them. A test that also reads a model still
        to come runs when that one is selected (indirect selection `buildable`)."""
        chosen = set(models)
        tests = []
        for unique_id, node in self.manifest.nodes.items():
            if node.resource_type != "test" or not chosen & set(node.depends_on.nodes):
                continue
            if all(
                parent in chosen
                or parent.startswith(("source.", "seed."))
                or parent.rsplit(".", 1)[1] in built
                or (parent not in pending and self.reads_only(parent, built))
                for parent in node.depends_on.nodes
            ):
                tests.append(unique_id)
        return sorted(tests)

    def support_nodes(self, entity: str) -> list[str]:
        if entity not in self._cache:
            nodes = self.manifest.nodes
            found: list[str] = []
            stack = [f"model.{self.package}.{entity}"]
            seen = set(stack)
            while stack:
                for parent in nodes[stack.pop()].depends_on.nodes:
                    node = nodes.get(parent)
                    if parent in seen or node is None or node.resource_type != "model":
                        continue
                    seen.add(parent)
                    if node.name in self.entities or self._owner(parent) not in (None, entity):
                        continue
                    found.append(node.name)
                    stack.append(parent)
            self._cache[entity] = sorted(found)
        return self._cache[entity]

    def staging_model(self, entity: str) -> str:
        """The staging model of the entity's primary legacy table (the first of its yml meta's
        legacy_tables): the model it is built from that reads that source."""
        table = self.manifest.nodes[f"model.{self.package}.{entity}"].meta["legacy_tables"][0]
        for name in self.support_nodes(entity):
            parents = self.manifest.nodes[f"model.{self.package}.{name}"].depends_on.nodes
            if any(p.startswith("source.") and p.rsplit(".", 1)[1] == table for p in parents):
                return name
        raise KeyError(f"{entity} is built from no model that reads legacy table {table}")

    def concerns(self, test_uid: str, entity: str) -> bool:
        """A test concerns an entity when it tests the entity or one of the models it is built from."""
        node = self.manifest.nodes.get(test_uid)
        if node is None:
            return False
        mine = {f"model.{self.package}.{n}" for n in [entity, *self.support_nodes(entity)]}
        return bool(set(node.depends_on.nodes) & mine)


def phase_members(plan: ExecutionPlan, entities: list[str], phase: MigrationPhase) -> list[str]:
    """The selected entities of a phase."""
    return [e for e in entities if plan.entities[e].spec.phase == phase.phase]


def joined_chains(chains: list[tuple[int, list[str]]], manifest) -> list[tuple[int, list[str]]]:
    """The chains of models built ahead, joined where a model of one reads a model of another
    (a staging copy that two later entities read goes to the chain of the first), so that the
    batch rounds, which share the chains out, never build a reader before what it reads."""
    owner = {uid: index for index, (_, chain) in enumerate(chains) for uid in chain}
    root = list(range(len(chains)))

    def find(index: int) -> int:
        while root[index] != index:
            index = root[index]
        return index

    for index, (_, chain) in enumerate(chains):
        for uid in chain:
            for parent in manifest.nodes[uid].depends_on.nodes:
                if parent in owner:
                    root[find(owner[parent])] = find(index)
    groups: dict[int, tuple[int, list[str]]] = {}
    for index, (phase, chain) in enumerate(chains):
        first, models = groups.get(find(index), (phase, []))
        groups[find(index)] = (min(first, phase), models + chain)
    return list(groups.values())  # in the order of each group's first chain


def take_ahead(parts: dict[int, InvocationResult], ahead: dict[str, int]) -> set[str]:
    """The models of later phases built ahead that their phases need not build again: all of a
    phase's, or none when one of them, or one of their tests, failed (`parts`: the build told
    per phase; `ahead`: unique id -> its phase)."""
    taken: set[str] = set()
    for phase in set(ahead.values()):
        part = parts.get(phase)
        if part is not None and not part.failed():
            taken |= {n.unique_id for n in part.nodes if n.status == "success"}
    return taken


def split_by_phase(
    result: InvocationResult, broken: str | None, phase_of: dict[str, int], manifest, first: int
) -> dict[int, InvocationResult]:
    """One build of several phases, told per phase: a model by the phase that owns it, a test
    by the latest phase among the models it reads (a relationship test belongs to the child's
    phase, whose gate it guards)."""
    nodes: dict[int, list] = {}
    for node in result.nodes:
        if node.resource_type == "test":
            test = manifest.nodes.get(node.unique_id)
            parents = test.depends_on.nodes if test is not None else []
            phase = max((phase_of[p] for p in parents if p in phase_of), default=first)
        else:
            phase = phase_of.get(node.unique_id, first)
        nodes.setdefault(phase, []).append(node)
    return {
        phase: InvocationResult(
            success=broken is None and not any(n.status in FAILED for n in part),
            nodes=part,
            error=broken,
        )
        for phase, part in nodes.items()
    }
