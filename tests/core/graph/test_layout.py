"""Topology layout: stored positions honoured, layered DAGs, seeded force layout, cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.graph.layout import layout, layout_key, layout_layers
from core.graph.loaders import load_topology
from core.graph.topology import Topology

DEMO = Path(__file__).resolve().parents[3] / "resources" / "demo"


def ring_with_chords(n: int = 60, directed: bool = False) -> Topology:
    edges = [(f"n{i}", f"n{(i + 1) % n}") for i in range(n)]
    edges += [(f"n{i}", f"n{(i * 7) % n}") for i in range(0, n, 3)]
    return Topology.from_edges([f"n{i}" for i in range(n)], edges, directed=directed)


@pytest.fixture(scope="module")
def demo() -> Topology:
    return load_topology(DEMO / "topology.json")


def test_layered_layout_is_deterministic_and_finite(demo: Topology, tmp_path: Path) -> None:
    first = layout(demo, use_cache=False)
    second = layout(demo, use_cache=False)
    assert first.shape == (len(demo), 2)
    assert np.isfinite(first).all()
    assert np.array_equal(first, second)
    # no two components on the same spot
    assert len({(round(x, 6), round(y, 6)) for x, y in first}) == len(demo)


def test_a_dependency_is_never_above_its_dependent(demo: Topology) -> None:
    layers = layout_layers(demo)
    positions = layout(demo, use_cache=False)
    for node, dependencies in enumerate(demo.dependencies):
        for dependency in dependencies:
            assert layers[dependency] < layers[node]
            assert positions[dependency, 1] < positions[node, 1]


def test_cycles_are_broken_deterministically() -> None:
    topology = Topology.from_edges(
        ["a", "b", "c", "d"], [("a", "b"), ("b", "c"), ("c", "a"), ("d", "a")]
    )
    layers = layout_layers(topology)
    assert np.array_equal(layers, layout_layers(topology))
    # one edge of the cycle is dropped; every other dependency sits lower
    kept = [(i, j) for i, deps in enumerate(topology.dependencies) for j in deps]
    below = [(i, j) for i, j in kept if layers[j] < layers[i]]
    assert len(below) == len(kept) - 1
    assert np.isfinite(layout(topology, use_cache=False)).all()


def test_force_layout_for_meshes_is_seeded_and_finite() -> None:
    mesh = ring_with_chords()
    first = layout(mesh, use_cache=False)
    assert np.isfinite(first).all()
    assert np.array_equal(first, layout(mesh, use_cache=False))
    assert not np.array_equal(first, layout(mesh, use_cache=False, seed=2))


def test_stored_positions_are_honoured() -> None:
    attrs = {f"n{i}": {"x": float(i), "y": float(-i) * 2} for i in range(5)}
    topology = Topology.from_edges(
        list(attrs), [("n0", "n1"), ("n1", "n2"), ("n3", "n4")], attrs=attrs
    )
    positions = layout(topology, use_cache=False)
    assert positions.tolist() == [[float(i), float(-i) * 2] for i in range(5)]


def test_topohub_longitude_latitude_become_positions(tmp_path: Path) -> None:
    path = tmp_path / "geo.json"
    path.write_text(
        '{"directed": false, "nodes": ['
        '{"id": "ams", "pos": [4.9, 52.37]}, {"id": "fra", "longitude": 8.68, "latitude": 50.11},'
        '{"id": "mystery"}], "links": [{"source": "ams", "target": "fra"},'
        '{"source": "fra", "target": "mystery"}]}'
    )
    topology = load_topology(path)
    positions = layout(topology, use_cache=False)
    assert positions[0].tolist() == [4.9, 52.37]
    assert positions[1].tolist() == [8.68, 50.11]
    # the node without a position is placed next to its positioned neighbour
    assert positions[2].tolist() == [8.68, 50.11]


def test_cache_hit_returns_the_identical_array(demo: Topology, tmp_path: Path) -> None:
    stages: list[str] = []
    computed = layout(demo, cache_dir=tmp_path, progress=lambda f, s: stages.append(s))
    files = list(tmp_path.glob("*.npy"))
    assert [f.stem for f in files] == [layout_key(demo, "layered")]
    assert "cached layout" not in stages
    stages.clear()
    cached = layout(demo, cache_dir=tmp_path, progress=lambda f, s: stages.append(s))
    assert stages == ["cached layout"]
    assert np.array_equal(cached, computed)
    assert cached.dtype == computed.dtype


def test_a_damaged_cache_file_is_recomputed(demo: Topology, tmp_path: Path) -> None:
    expected = layout(demo, cache_dir=tmp_path)
    (tmp_path / f"{layout_key(demo, 'layered')}.npy").write_bytes(b"not numpy")
    assert np.array_equal(layout(demo, cache_dir=tmp_path), expected)


def test_cache_key_follows_the_content() -> None:
    a = ring_with_chords(30)
    b = ring_with_chords(31)
    assert layout_key(a, "force") == layout_key(ring_with_chords(30), "force")
    assert layout_key(a, "force") != layout_key(b, "force")
    assert layout_key(a, "force") != layout_key(a, "layered")


def test_progress_reaches_one(demo: Topology) -> None:
    fractions: list[float] = []
    layout(demo, use_cache=False, progress=lambda f, s: fractions.append(f))
    assert fractions[-1] == 1.0
    assert fractions == sorted(fractions)
