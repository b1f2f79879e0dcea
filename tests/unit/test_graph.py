"""The chains of models built ahead of their phase, joined where one reads another (no server)."""

from __future__ import annotations

from types import SimpleNamespace

from runner.graph import joined_chains


def manifest(parents: dict[str, list[str]]) -> SimpleNamespace:
    return SimpleNamespace(
        nodes={uid: SimpleNamespace(depends_on=SimpleNamespace(nodes=ps)) for uid, ps in parents.items()}
    )


def test_a_chain_reading_another_joins_it_at_the_earlier_phase():
    graph = manifest({"a1": [], "a2": ["a1"], "b1": ["a2"], "c1": ["source"]})
    chains = [(3, ["a1", "a2"]), (4, ["c1"]), (5, ["b1"])]
    assert joined_chains(chains, graph) == [(3, ["a1", "a2", "b1"]), (4, ["c1"])]


def test_independent_chains_stay_apart_in_their_order():
    graph = manifest({"a": [], "b": [], "c": []})
    assert joined_chains([(5, ["a"]), (3, ["b"]), (4, ["c"])], graph) == [(5, ["a"]), (3, ["b"]), (4, ["c"])]


def test_three_chains_linked_through_the_middle_become_one():
    graph = manifest({"a": [], "b": ["a"], "c": ["b"]})
    assert joined_chains([(6, ["c"]), (4, ["b"]), (5, ["a"])], graph) == [(4, ["c", "b", "a"])]
