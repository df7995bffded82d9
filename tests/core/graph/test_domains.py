"""Failure domains equal the reference partition after any sequence of fires and resolves."""

from __future__ import annotations

import math

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from core.graph.domains import FailureDomains
from core.graph.topology import Topology


def reference_domains(
    topology: Topology,
    alerting: set[int],
    *,
    bridging: bool,
    fraction: float = 0.5,
    conduit_fraction: float = 0.34,
) -> set[frozenset[int]]:
    """Connected components of the alerting subgraph, computed from scratch with networkx.

    With bridging, a silent component ties together its alerting neighbours when
    at least ceil(fraction * fan_in) of its dependents alert, and at least 2 unless
    something it depends on alerts too (directed graphs).
    """
    graph = nx.Graph()
    graph.add_nodes_from(alerting)
    for a in alerting:
        for b in topology.dependencies[a]:
            if b in alerting:
                graph.add_edge(a, b)
    if bridging:
        for x in range(len(topology)):
            if x in alerting:
                continue
            above = [d for d in topology.dependents[x] if d in alerting]
            below = [d for d in topology.dependencies[x] if d in alerting]
            fan_in = len(topology.dependents[x])
            if topology.directed and below:  # x is the conduit between them
                threshold = max(1, math.ceil(conduit_fraction * fan_in))
            else:
                threshold = max(2, math.ceil(fraction * fan_in))
            if above and len(above) >= threshold:
                nx.add_path(graph, sorted(set(above) | set(below)))
    return {frozenset(c) for c in nx.connected_components(graph)}


def tracked_domains(domains: FailureDomains) -> set[frozenset[int]]:
    return {frozenset(domains.members(r)) for r in domains.records()}


@st.composite
def topologies(draw: st.DrawFn) -> Topology:
    n = draw(st.integers(min_value=1, max_value=14))
    directed = draw(st.booleans())
    pairs = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1))
    edges = draw(st.lists(pairs, max_size=3 * n))
    return Topology.from_edges(
        [str(i) for i in range(n)],
        [(str(a), str(b)) for a, b in edges],
        directed=directed,
    )


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Topology, list[tuple[bool, int]], bool]:
    topology = draw(topologies())
    n = len(topology)
    ops = draw(st.lists(st.tuples(st.booleans(), st.integers(0, n - 1)), max_size=60))
    return topology, ops, draw(st.booleans())


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_domains_equal_reference_after_any_sequence(
    case: tuple[Topology, list[tuple[bool, int]], bool],
) -> None:
    topology, ops, bridging = case
    domains = FailureDomains(topology, bridging=bridging)
    alerting: set[int] = set()
    for step, (fire, node) in enumerate(ops):
        if fire:
            domains.activate(node, float(step))
            alerting.add(node)
        else:
            domains.deactivate(node, float(step))
            alerting.discard(node)
        assert tracked_domains(domains) == reference_domains(topology, alerting, bridging=bridging)
        ids = [r.id for r in domains.records()]
        assert len(ids) == len(set(ids))
        for record in domains.records():
            assert record.size == len(domains.members(record))


def chain() -> Topology:
    # a -> b -> c -> d : a depends on b, b on c, c on d
    return Topology.from_edges("abcd", [("a", "b"), ("b", "c"), ("c", "d")])


def test_merge_keeps_the_older_id_and_reports_the_younger_as_merged() -> None:
    domains = FailureDomains(chain(), bridging=False)
    domains.activate(0, 1.0)  # a
    domains.activate(2, 2.0)  # c, not adjacent to a
    first, second = (r.id for r in sorted(domains.records(), key=lambda r: r.seq))
    domains.changes.clear()
    domains.activate(1, 3.0)  # b joins a and c
    (record,) = domains.records()
    assert record.id == first
    assert domains.changes.closed == [second]
    assert domains.changes.merged_into == {second: first}


def test_resolve_splits_only_its_own_domain_and_largest_part_keeps_id() -> None:
    # x depends on y; separate chain a-b-c-d-e
    topology = Topology.from_edges(
        "abcdexy", [("a", "b"), ("b", "c"), ("c", "d"), ("d", "e"), ("x", "y")]
    )
    domains = FailureDomains(topology, bridging=False)
    for node in range(7):
        domains.activate(node, float(node))
    by_members = {frozenset(domains.members(r)): r.id for r in domains.records()}
    chain_id = by_members[frozenset(range(5))]
    other_id = by_members[frozenset({5, 6})]
    domains.changes.clear()
    domains.deactivate(1, 10.0)  # b: splits {a} from {c, d, e}
    after = {frozenset(domains.members(r)): r.id for r in domains.records()}
    assert after[frozenset({2, 3, 4})] == chain_id
    assert after[frozenset({5, 6})] == other_id
    assert after[frozenset({0})] not in (chain_id, other_id)
    assert other_id not in domains.changes.changed


def test_silent_common_dependency_bridges_its_dependents() -> None:
    # web1, web2, web3 all depend on db; db has no alert
    topology = Topology.from_edges(
        ["db", "web1", "web2", "web3"], [("web1", "db"), ("web2", "db"), ("web3", "db")]
    )
    domains = FailureDomains(topology)
    domains.activate(1, 0.0)
    assert len(list(domains.records())) == 1
    domains.activate(2, 1.0)  # 2 of 3 dependents >= ceil(0.5 * 3): bridge holds
    assert tracked_domains(domains) == {frozenset({1, 2})}
    assert domains.bridge_active(0)
    domains.deactivate(1, 2.0)
    assert not domains.bridge_active(0)


def test_hub_does_not_weld_unrelated_incidents() -> None:
    # 10 services depend on dns; two unrelated ones alerting stay apart.
    services = [f"s{i}" for i in range(10)]
    topology = Topology.from_edges(["dns", *services], [(s, "dns") for s in services])
    domains = FailureDomains(topology)
    domains.activate(1, 0.0)
    domains.activate(2, 0.0)
    assert len(tracked_domains(domains)) == 2
    for node in range(3, 6):
        domains.activate(node, 1.0)  # 5 of 10 alerting: dns is the suspect now
    assert tracked_domains(domains) == {frozenset(range(1, 6))}


def test_silent_hop_in_a_chain_does_not_cut_the_incident() -> None:
    # a -> b -> c -> d; b has no monitoring. a and c alerting: b is the conduit.
    domains = FailureDomains(chain())
    domains.activate(2, 0.0)
    domains.activate(0, 1.0)
    assert tracked_domains(domains) == {frozenset({0, 2})}
    assert domains.bridge_active(1)
    domains.deactivate(2, 2.0)
    assert tracked_domains(domains) == {frozenset({0})}
    assert not domains.bridge_active(1)


def test_ids_follow_merges_and_splits_over_a_long_run() -> None:
    """Merges keep the oldest id, a split leaves it with the largest part (ties: the
    longest-alerting member), new parts get new ids in that order; over thousands of
    fires and resolves (enough to reuse the Union-Find's storage several times)."""
    import random

    rng = random.Random(3)
    for directed in (True, False):
        n = 16
        edges = [(str(rng.randrange(n)), str(rng.randrange(n))) for _ in range(2 * n)]
        topology = Topology.from_edges([str(i) for i in range(n)], edges, directed=directed)
        domains = FailureDomains(topology)
        since: dict[int, int] = {}
        activations = 0
        seen_ids: set[str] = set()
        for step in range(6_000):
            node = rng.randrange(n)
            before = {r.id: frozenset(domains.members(r)) for r in domains.records()}
            seq = {r.id: r.seq for r in domains.records()}
            domains.changes.clear()
            if rng.random() < 0.55:
                if node in since:
                    continue
                activations += 1
                since[node] = activations
                domains.activate(node, float(step))
                after = {r.id: frozenset(domains.members(r)) for r in domains.records()}
                (home,) = [d for d, members in after.items() if node in members]
                joined = [d for d, members in before.items() if members <= after[home]]
                if joined:
                    assert home == min(joined, key=seq.__getitem__)
                    merged = domains.changes.merged_into  # may chain: A into B, B into C
                    assert set(merged) == {d for d in joined if d != home}
                    for gone in merged:
                        into = merged[gone]
                        while into in merged:
                            into = merged[into]
                        assert into == home
                else:
                    assert home not in seen_ids
            else:
                if node not in since:
                    continue
                del since[node]
                domains.deactivate(node, float(step))
                after = {r.id: frozenset(domains.members(r)) for r in domains.records()}
                (old,) = [d for d, members in before.items() if node in members]
                rest = before[old] - {node}
                parts = sorted(
                    (d for d, members in after.items() if members <= rest),
                    key=lambda d: (-len(after[d]), min(since[m] for m in after[d])),
                )
                assert frozenset().union(*(after[d] for d in parts)) == rest
                if rest:
                    assert parts[0] == old
                    fresh = parts[1:]
                    assert not seen_ids.intersection(fresh)
                    assert [int(d[1:]) for d in fresh] == sorted(int(d[1:]) for d in fresh)
                else:
                    assert old not in after
            seen_ids.update(after)
            if step % 200 == 0:
                assert tracked_domains(domains) == reference_domains(
                    topology, set(since), bridging=True
                )
                for record in domains.records():
                    assert record.size == len(domains.members(record))
