"""Topology layout without stored positions: layered (DAG) and force (mesh) at 1k and 10k nodes.

Budget (DESIGN.md 5): 10k nodes <= 2 s (off the GUI thread, cached). Prints
median seconds of uncached computations and the cost of a cache hit;
asserts nothing about time.

Graphs are seeded: a layered dependency DAG (8 tiers, each component
depending on 3 components of lower tiers, mostly the tier right below) and
an undirected mesh of the same size with ~3 links per node between near
neighbours (a network), both ~3 edges per node as in DESIGN.md 5.

    .venv/bin/python benchmarks/bench_layout.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.graph.layout import layout
from core.graph.topology import Topology

SEED = 11


def dependency_dag(nodes: int, seed: int = SEED) -> Topology:
    """8 tiers; every component above tier 0 depends on 3 components below it."""
    rng = np.random.default_rng(seed)
    tiers = 8
    size = nodes // tiers
    tier = np.minimum(np.arange(nodes) // size, tiers - 1)
    a: list[np.ndarray] = []
    b: list[np.ndarray] = []
    upper = np.flatnonzero(tier > 0)
    for _ in range(3):
        below = tier[upper] - 1 - (rng.random(upper.size) < 0.15)  # some skip a tier
        below = np.maximum(below, 0)
        a.append(upper)
        b.append(below * size + rng.integers(0, size, upper.size))
    ids = [f"c{i}" for i in range(nodes)]
    attrs: list[dict[str, object]] = [{} for _ in range(nodes)]
    return Topology.from_index_pairs(ids, attrs, np.concatenate(a), np.concatenate(b))


def network_mesh(nodes: int, seed: int = SEED) -> Topology:
    """Undirected: each node linked to 3 others among the next ~50 (short links)."""
    rng = np.random.default_rng(seed)
    a = np.repeat(np.arange(nodes), 3)
    b = (a + rng.integers(1, 50, a.size)) % nodes
    ids = [f"n{i}" for i in range(nodes)]
    attrs: list[dict[str, object]] = [{} for _ in range(nodes)]
    return Topology.from_index_pairs(ids, attrs, a, b, directed=False)


def median_seconds(run: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    print("layout without stored positions (median seconds, uncached)")
    for nodes, repeats in ((1_000, 5), (10_000, 3)):
        dag = dependency_dag(nodes)
        mesh = network_mesh(nodes)
        layered = median_seconds(partial(layout, dag, method="layered", use_cache=False), repeats)
        force = median_seconds(partial(layout, mesh, method="force", use_cache=False), repeats)
        print(
            f"  {nodes:>6} nodes: layered {layered:6.3f} s ({dag.edge_count} edges)   "
            f"force (igraph FR grid) {force:6.3f} s ({mesh.edge_count} links)"
        )
    with tempfile.TemporaryDirectory() as folder:
        dag = dependency_dag(10_000)
        layout(dag, cache_dir=folder)
        hit = median_seconds(lambda: layout(dag, cache_dir=folder), 5)
        print(f"  cache hit at 10k nodes (hash + .npy read): {hit * 1000:.1f} ms")
    print("budget: 10k nodes <= 2 s")


if __name__ == "__main__":
    main()
