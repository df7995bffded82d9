"""`Topology.from_index_pairs` builds the same topology as `from_edges`."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.graph.topology import Topology


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(1, 30),
    data=st.data(),
    directed=st.booleans(),
)
def test_from_index_pairs_equals_from_edges(n: int, data: st.DataObject, directed: bool) -> None:
    pairs = data.draw(
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=4 * n)
    )
    ids = [f"n{i}" for i in range(n)]
    attrs = [{"tier": i % 3} for i in range(n)]
    expected = Topology.from_edges(
        ids,
        [(ids[a], ids[b]) for a, b in pairs],
        attrs=dict(zip(ids, attrs, strict=True)),
        directed=directed,
    )

    built = Topology.from_index_pairs(
        ids, attrs, [a for a, _ in pairs], [b for _, b in pairs], directed=directed
    )

    assert built.ids == expected.ids
    assert built.attrs == expected.attrs
    assert built.dependencies == expected.dependencies
    assert built.dependents == expected.dependents
    assert built.edge_count == expected.edge_count
    assert built.directed == directed
    # The pre-filled CSR cache equals the lazily built one.
    ours, theirs = built.dependents_csr, expected.dependents_csr
    assert ours.dtype == np.float64
    assert ours.shape == theirs.shape
    assert np.array_equal(ours.indptr, theirs.indptr)
    assert np.array_equal(ours.indices, theirs.indices)
    assert np.array_equal(ours.data, theirs.data)


def test_from_index_pairs_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="outside"):
        Topology.from_index_pairs(["a"], [{}], [0], [1])
    with pytest.raises(ValueError, match="dependents for"):
        Topology.from_index_pairs(["a", "b"], [{}, {}], [0, 1], [1])
    with pytest.raises(ValueError, match="attribute dicts"):
        Topology.from_index_pairs(["a", "b"], [{}], [], [])
    with pytest.raises(ValueError, match="not unique"):
        Topology.from_index_pairs(["a", "a"], [{}, {}], [], [])


def test_from_index_pairs_empty() -> None:
    topology = Topology.from_index_pairs([], [], [], [])

    assert len(topology) == 0
    assert topology.edge_count == 0
    assert topology.dependents_csr.shape == (0, 0)
