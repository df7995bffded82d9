"""Blast radius equals networkx BFS over dependents, on every strategy path."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.graph import blast
from core.graph.blast import BlastRadius, blast_radius
from core.graph.topology import Topology

# vectorise_after values: 0 hands everything to scipy at once, 2 switches after
# a level or two, a huge value keeps everything in Python.
PATHS = [0, 2, 10**9]


def reference(topology: Topology, sources: list[int], max_hops: int | None) -> dict[int, int]:
    """Multi-source BFS hops with networkx: a super-source over the dependents graph."""
    graph = nx.DiGraph()
    graph.add_nodes_from(range(len(topology)))
    graph.add_edges_from((i, j) for i, deps in enumerate(topology.dependents) for j in deps)
    root = "failed"
    graph.add_node(root)
    graph.add_edges_from((root, s) for s in sources)
    cutoff = None if max_hops is None else max_hops + 1
    lengths = nx.single_source_shortest_path_length(graph, root, cutoff=cutoff)
    return {node: hops - 1 for node, hops in lengths.items() if node != root}


@contextmanager
def level_loop_limit(limit: int) -> Iterator[None]:
    """Force the deep-graph (pointer doubling) path of the scipy hand-over."""
    saved = blast._LEVEL_LOOP_LIMIT
    blast._LEVEL_LOOP_LIMIT = limit
    try:
        yield
    finally:
        blast._LEVEL_LOOP_LIMIT = saved


def check(topology: Topology, sources: list[int], max_hops: int | None) -> None:
    expected = reference(topology, sources, max_hops)
    for vectorise_after in PATHS:
        for loop_limit in (256, 1):
            with level_loop_limit(loop_limit):
                radius = blast_radius(
                    topology, sources, max_hops=max_hops, vectorise_after=vectorise_after
                )
            assert radius.as_dict() == expected, (vectorise_after, loop_limit)
            order = list(zip(radius.hops.tolist(), radius.nodes.tolist(), strict=True))
            assert order == sorted(order)
            assert len(radius) == len(expected)


@st.composite
def graphs(draw: st.DrawFn, kind: str, max_nodes: int = 40) -> tuple[Topology, list[int]]:
    n = draw(st.integers(1, max_nodes))
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n))
    if kind == "dag":  # edges only from higher to lower index: acyclic
        pairs = [(max(a, b), min(a, b)) for a, b in pairs]
    topology = Topology.from_edges(
        [str(i) for i in range(n)],
        [(str(a), str(b)) for a, b in pairs],
        directed=kind != "undirected",
    )
    sources = draw(st.lists(st.integers(0, n - 1), max_size=4))
    return topology, sources


max_hops_values = st.one_of(st.none(), st.integers(0, 5))


@settings(max_examples=150, deadline=None)
@given(case=graphs("directed"), max_hops=max_hops_values)
def test_directed_graphs_match_networkx(case: tuple[Topology, list[int]], max_hops: int | None):
    check(*case, max_hops)


@settings(max_examples=150, deadline=None)
@given(case=graphs("dag"), max_hops=max_hops_values)
def test_dags_match_networkx(case: tuple[Topology, list[int]], max_hops: int | None) -> None:
    check(*case, max_hops)


@settings(max_examples=150, deadline=None)
@given(case=graphs("undirected"), max_hops=max_hops_values)
def test_undirected_graphs_match_networkx(
    case: tuple[Topology, list[int]], max_hops: int | None
) -> None:
    check(*case, max_hops)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    kind=st.sampled_from(["directed", "dag", "undirected"]),
    max_hops=max_hops_values,
    source_count=st.integers(1, 20),
)
def test_large_graphs_take_the_scipy_path_and_match_networkx(
    seed: int, kind: str, max_hops: int | None, source_count: int
) -> None:
    rng = np.random.default_rng(seed)
    n = 3_000
    a = rng.integers(0, n, 3 * n)
    b = rng.integers(0, n, 3 * n)
    if kind == "dag":
        a, b = np.maximum(a, b), np.minimum(a, b)
    topology = Topology.from_index_pairs(
        [str(i) for i in range(n)], [{} for _ in range(n)], a, b, directed=kind != "undirected"
    )
    sources = rng.integers(0, n, source_count).tolist()
    expected = reference(topology, sources, max_hops)

    # The default threshold as well as the forced paths.
    for vectorise_after in [None, *PATHS]:
        radius = blast_radius(topology, sources, max_hops=max_hops, vectorise_after=vectorise_after)
        assert radius.as_dict() == expected


def test_default_threshold_hands_large_radii_to_scipy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Guards the strategy switch itself, not only the results."""
    n = 2_000
    chain = Topology.from_index_pairs(
        [str(i) for i in range(n)], [{} for _ in range(n)], range(1, n), range(n - 1)
    )
    calls: list[int] = []
    original = blast._continue_in_scipy

    def spy(*args, **kwargs):
        calls.append(len(args[1]))
        return original(*args, **kwargs)

    monkeypatch.setattr(blast, "_continue_in_scipy", spy)

    small = blast_radius(chain, [n - 10])
    assert calls == []
    large = blast_radius(chain, [0])
    assert calls == [1]
    assert len(small) == 10
    assert len(large) == n
    assert large.depth == n - 1
    assert large.hops.tolist() == list(range(n))


def test_deep_chain_after_hand_over_is_exact() -> None:
    """A 5,000-level chain: the scipy part gets its hops by pointer doubling."""
    n = 5_000
    ids = [str(i) for i in range(n)]
    chain = Topology.from_index_pairs(ids, [{} for _ in range(n)], range(1, n), range(n - 1))

    radius = blast_radius(chain, [0], vectorise_after=0)
    limited = blast_radius(chain, [0], max_hops=4_000, vectorise_after=0)

    assert radius.nodes.tolist() == list(range(n))
    assert radius.hops.tolist() == list(range(n))
    assert limited.as_dict() == {i: i for i in range(4_001)}


def test_blast_radius_value() -> None:
    # db <- api <- web, api <- worker; cache unrelated
    topology = Topology.from_edges(
        ["db", "api", "web", "worker", "cache"],
        [("api", "db"), ("web", "api"), ("worker", "api")],
    )
    db, api, web, worker, cache = range(5)

    radius = blast_radius(topology, [db])

    assert isinstance(radius, BlastRadius)
    assert radius.nodes.tolist() == [db, api, web, worker]
    assert radius.hops.tolist() == [0, 1, 2, 2]
    assert radius.as_dict() == {db: 0, api: 1, web: 2, worker: 2}
    assert radius.depth == 2
    assert len(radius) == 4
    assert web in radius
    assert cache not in radius
    assert "web" not in radius
    assert radius.nodes.dtype == np.int32
    with pytest.raises(ValueError, match="read-only"):
        radius.nodes[0] = 3
    assert blast_radius(topology, [db], max_hops=1).as_dict() == {db: 0, api: 1}
    assert blast_radius(topology, [db], max_hops=0).as_dict() == {db: 0}
    assert blast_radius(topology, np.array([web, web])).as_dict() == {web: 0}
    assert "4 nodes, depth 2" in repr(radius)


def test_no_sources_is_empty() -> None:
    topology = Topology.from_edges(["a", "b"], [("a", "b")])

    radius = blast_radius(topology, [])

    assert len(radius) == 0
    assert radius.depth == 0
    assert radius.as_dict() == {}
    assert 0 not in radius


def test_bad_arguments() -> None:
    topology = Topology.from_edges(["a", "b"], [("a", "b")])

    with pytest.raises(ValueError, match="source 2 is not a node index"):
        blast_radius(topology, [2])
    with pytest.raises(ValueError, match="source -1 is not a node index"):
        blast_radius(topology, [-1])
    with pytest.raises(TypeError):
        blast_radius(topology, [0.5])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="max_hops"):
        blast_radius(topology, [0], max_hops=-1)


def test_concurrent_searches_do_not_mix() -> None:
    """The scipy path shares one virtual row per topology; searches must not interleave."""
    rng = np.random.default_rng(3)
    n = 5_000
    a = rng.integers(0, n, 3 * n)
    b = rng.integers(0, n, 3 * n)
    topology = Topology.from_index_pairs(
        [str(i) for i in range(n)], [{} for _ in range(n)], np.maximum(a, b), np.minimum(a, b)
    )
    source_sets = [[int(s)] for s in rng.integers(0, n // 4, 8)]
    expected = [blast_radius(topology, s, vectorise_after=10**9).as_dict() for s in source_sets]
    failures: list[int] = []

    def work(k: int) -> None:
        for _ in range(20):
            if blast_radius(topology, source_sets[k], vectorise_after=0).as_dict() != expected[k]:
                failures.append(k)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(len(source_sets))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []


def test_a_search_prepared_on_another_thread_serves_this_one() -> None:
    rng = np.random.default_rng(4)
    n = 2_000
    a, b = rng.integers(0, n, 3 * n), rng.integers(0, n, 3 * n)
    topology = Topology.from_index_pairs(
        [str(i) for i in range(n)], [{} for _ in range(n)], np.maximum(a, b), np.minimum(a, b)
    )
    worker = threading.Thread(target=blast.prepare, args=(topology,))
    worker.start()
    worker.join()
    sources = [0, 1, 2, 3]
    radius = blast_radius(topology, sources, vectorise_after=0)
    assert radius.as_dict() == reference(topology, sources, None)
    blast.prepare(Topology.from_edges("ab", [("a", "b")]))  # small: nothing to prepare
