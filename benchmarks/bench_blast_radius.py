"""Blast radius on a 100k-node dependency DAG: Watchfloor vs networkx.

Budget (DESIGN.md 5): reaching ~60k nodes in <= 5 ms and >= 10x networkx on
the same graph. Prints figures; asserts nothing about time.

The topology is a seeded layered DAG: 20 tiers of 5,000 components, each
component above tier 0 depending on 3 random components of the tier below
(~285k edges). A failure in tier 0 spreads upwards through the tiers.

    .venv/bin/python benchmarks/bench_blast_radius.py
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import networkx as nx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.graph.blast import blast_radius
from core.graph.topology import Topology

NODES = 100_000
TIERS = 20
DEPENDENCIES_PER_NODE = 3
TARGET_REACH = 60_000
SEED = 7


def layered_dag(nodes: int, tiers: int, fan: int, seed: int) -> Topology:
    """Tier t > 0 components each depend on `fan` random tier t-1 components."""
    rng = np.random.default_rng(seed)
    size = nodes // tiers
    dependents: list[np.ndarray] = []
    dependencies: list[np.ndarray] = []
    for tier in range(1, tiers):
        members = np.arange(tier * size, (tier + 1) * size)
        for _ in range(fan):
            dependents.append(members)
            dependencies.append(rng.integers((tier - 1) * size, tier * size, size))
    ids = [f"c{i}" for i in range(nodes)]
    attrs: list[dict[str, object]] = [{"tier": i // size} for i in range(nodes)]
    return Topology.from_index_pairs(
        ids, attrs, np.concatenate(dependents), np.concatenate(dependencies)
    )


def median_seconds(run: Callable[[], object], repeats: int) -> float:
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def main() -> None:
    began = time.perf_counter()
    topology = layered_dag(NODES, TIERS, DEPENDENCIES_PER_NODE, SEED)
    print(f"topology: {len(topology):,} nodes, {topology.edge_count:,} edges")

    # The tier-0 node (of the first 200) whose radius is closest to the target.
    candidates = [(abs(len(blast_radius(topology, [i])) - TARGET_REACH), i) for i in range(200)]
    source = min(candidates)[1]
    radius = blast_radius(topology, [source])
    print(f"source c{source}: reaches {len(radius):,} nodes, depth {radius.depth}")

    graph = nx.DiGraph()  # edges point from a component to its dependents
    graph.add_nodes_from(range(len(topology)))
    graph.add_edges_from((i, j) for i, deps in enumerate(topology.dependents) for j in deps)
    reference = nx.single_source_shortest_path_length(graph, source)
    assert radius.as_dict() == reference, "blast radius differs from networkx"

    ours = median_seconds(lambda: blast_radius(topology, [source]), 30)
    theirs_bfs = median_seconds(lambda: nx.single_source_shortest_path_length(graph, source), 5)
    theirs_reach = median_seconds(lambda: nx.descendants(graph, source), 5)
    print(f"blast_radius (nodes + hops)          median of 30: {ours * 1e3:7.2f} ms")
    print(f"networkx single_source_shortest_path median of 5:  {theirs_bfs * 1e3:7.2f} ms")
    print(f"networkx descendants (no hops)       median of 5:  {theirs_reach * 1e3:7.2f} ms")
    print(f"speed-up vs networkx BFS with hops: {theirs_bfs / ours:5.1f}x")
    print(f"speed-up vs networkx descendants:   {theirs_reach / ours:5.1f}x")

    # A domain of 25 tier-0 components at once (multi-source).
    domain = list(range(0, 5_000, 200))
    multi = blast_radius(topology, domain)
    multi_time = median_seconds(lambda: blast_radius(topology, domain), 30)
    print(f"domain of {len(domain)} sources: {len(multi):,} nodes in {multi_time * 1e3:.2f} ms")

    # A small radius: a component a few tiers below the top, tens of nodes.
    tier_size = NODES // TIERS
    small_source = next(
        i
        for i in range((TIERS - 4) * tier_size, (TIERS - 3) * tier_size)
        if 20 <= len(blast_radius(topology, [i])) <= 80
    )
    small = blast_radius(topology, [small_source])
    small_time = median_seconds(lambda: blast_radius(topology, [small_source]), 200)
    small_nx = median_seconds(
        lambda: nx.single_source_shortest_path_length(graph, small_source), 200
    )
    print(
        f"small radius ({len(small)} nodes): {small_time * 1e6:.1f} us median of 200 "
        f"(networkx {small_nx * 1e6:.1f} us)"
    )
    print(f"total benchmark time: {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
