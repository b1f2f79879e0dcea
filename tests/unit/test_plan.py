"""The plan without a server: entity selection, phase ranges, steps and the critical path."""

from __future__ import annotations

import pytest

from runner.model import EntitySpec
from runner.plan import build_plan, longest_chain, parse_phase_range, select_entities, selector_names


def spec(name: str, phase: int, *dependencies: str, batched: bool = False) -> EntitySpec:
    return EntitySpec(
        name=name,
        phase=phase,
        phase_name=f"phase {phase}",
        legacy_tables=(f"dispatch_{name}",),
        dependencies=frozenset(dependencies),
        business_criticality="critical",
        data_volume="small",
        complexity="simple",
        batched=batched,
    )


SPECS = {
    "offices": spec("offices", 1),
    "profiles": spec("profiles", 1, "offices"),
    "doctors": spec("doctors", 2, "offices", "profiles"),
    "patients": spec("patients", 2, "doctors", "offices"),
    "orders": spec("orders", 2, "patients", "doctors", "offices"),
    "tasks": spec("tasks", 3, "orders", "patients", batched=True),
    "cases": spec("cases", 3, "patients", "doctors"),
}


def test_everything_by_default_in_phase_order():
    assert select_entities(SPECS) == list(SPECS)


def test_a_phase_range_and_named_entities_are_unioned():
    assert select_entities(SPECS, (3, 3)) == ["tasks", "cases"]
    assert select_entities(SPECS, (1, 1), ("cases",)) == ["offices", "profiles", "cases"]


def test_with_dependencies_closes_over_every_parent():
    assert select_entities(SPECS, entities=("tasks",), with_dependencies=True) == [
        "offices",
        "profiles",
        "doctors",
        "patients",
        "orders",
        "tasks",
    ]


def test_an_unknown_entity_is_refused_naming_the_known_ones():
    with pytest.raises(ValueError, match="Unknown entity 'nope': choose among offices, profiles"):
        select_entities(SPECS, entities=("nope",))


@pytest.mark.parametrize(("text", "expected"), [("2", (2, 2)), ("1..3", (1, 3)), ("3..3", (3, 3))])
def test_phase_ranges(text, expected):
    assert parse_phase_range(text, {1, 2, 3}) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("two", "--phase takes a phase number or a range such as 2..4, not 'two'"),
        ("3..1", "--phase 3..1 is not a range of existing phases (1 to 3)"),
        ("0..2", "is not a range of existing phases"),
        ("2..", "--phase takes a phase number"),
    ],
)
def test_bad_phase_ranges_are_one_sentence(text, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        parse_phase_range(text, {1, 2, 3})


def test_steps_group_what_can_run_in_parallel_and_a_checkpoint_closes_each_phase():
    counts = {f"dispatch_{name}": 1_000 for name in SPECS} | {"dispatch_tasks": 250_000}
    plan = build_plan(SPECS, counts, batch_size=100_000)
    assert [(s.phase, s.entities) for s in plan.steps] == [
        (1, ["offices"]),
        (1, ["profiles"]),
        (2, ["doctors"]),
        (2, ["patients"]),
        (2, ["orders"]),
        (3, ["cases", "tasks"]),
    ]
    assert [s.validation_checkpoint for s in plan.steps] == [False, True, False, False, True, True]
    assert plan.steps[-1].can_run_in_parallel
    assert plan.entities["tasks"].batches == 3 and plan.entities["cases"].batches is None


def test_the_critical_path_is_the_heaviest_chain():
    assert longest_chain(SPECS) == ["offices", "profiles", "doctors", "patients", "orders", "tasks"]
    assert longest_chain(SPECS, {"cases": 1_000.0})[-1] == "cases"


def test_the_named_selections_of_the_specification_exist():
    assert {"core", "core_with_patients", "orders_with_deps", "all", "phase_1"} <= set(selector_names())
