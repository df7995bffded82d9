"""Blast radius: what a failure breaks, transitively, and how many hops away.

The blast radius of failed components is a breadth-first search over
dependents (who depends on the failed component, who depends on those, ...),
with exact hop distances. It works for one component or a whole failure
domain (multi-source BFS).

Strategy (DESIGN.md 5 and 7), measured on the project's 2-core machine with
`benchmarks/bench_blast_radius.py` (100k-node layered DAG, ~285k edges):

- Small radii stay in Python: a level-by-level BFS over `Topology.dependents`
  costs ~0.25-0.45 us per reached node (~15 us for 34 nodes), while any call
  into scipy costs ~0.1 ms at 100k nodes and ~0.35 ms at 1M (argument
  validation and its O(n) work arrays) before it does any work.
- Once more than `max(VECTORISE_AFTER, n // 800)` nodes have been reached,
  the remaining levels go to `scipy.sparse.csgraph.breadth_first_order` in
  one C call. It continues from the current frontier F at hop h through a
  virtual node whose only dependents are F; for every node x not yet
  reached, hop(x) = h + dist(F, x), so the hops stay exact. A 60k-node
  radius takes ~2.7-3.3 ms that way (~1.4 ms of it scipy's BFS, the rest
  hop levels and ordering); pure Python needs ~60 ms, a level-synchronous
  numpy frontier expansion (CSR gather + mark + scan per level) ~6 ms, and
  networkx's BFS 70-120 ms.
- Hop levels of the scipy part come from its predecessor array: in BFS order
  the position of a node's predecessor never decreases, so each level ends
  where the predecessor positions pass the previous level's end (one
  `searchsorted` per level). Graphs deeper than `_LEVEL_LOOP_LIMIT` levels
  get their hops by vectorised pointer doubling instead, so a long chain does
  not turn into a long Python loop.

`np.unique` is avoided: on numpy 2.4 it measured ~20x slower than `np.sort`
for int arrays of this size.
"""

from __future__ import annotations

import operator
import threading
import weakref
from collections.abc import Iterable
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from core.graph.topology import Topology

__all__ = ["VECTORISE_AFTER", "BlastRadius", "blast_radius", "prepare"]

IndexArray = npt.NDArray[np.int32]

VECTORISE_AFTER = 256
"""Reached-node count above which the BFS continues in scipy (see module doc).

scipy's fixed cost per call grows with the topology (it allocates and fills
O(n) work arrays): measured ~0.1 ms at 100k nodes and ~0.35 ms at 1M, the
price of ~300 and ~1,200 nodes of Python BFS. The hand-over therefore happens
after `max(VECTORISE_AFTER, n // 800)` reached nodes.
"""

_LEVEL_LOOP_LIMIT = 256
"""Scipy results with more levels than this get hops by pointer doubling."""


class BlastRadius:
    """Nodes reached from the failed sources, each with its hop distance.

    `nodes` holds node indices ordered by hop, then index; the sources are the
    hop-0 entries. `hops` is aligned with `nodes`. Both arrays are read-only.
    """

    __slots__ = ("_members", "hops", "nodes")

    def __init__(self, nodes: IndexArray, hops: IndexArray) -> None:
        nodes.setflags(write=False)
        hops.setflags(write=False)
        self.nodes = nodes
        self.hops = hops
        self._members: frozenset[int] | None = None

    def __len__(self) -> int:
        return int(self.nodes.size)

    def __contains__(self, node: object) -> bool:
        if self._members is None:
            self._members = frozenset(self.nodes.tolist())
        return node in self._members

    def __repr__(self) -> str:
        return f"BlastRadius({len(self)} nodes, depth {self.depth})"

    @property
    def depth(self) -> int:
        """The largest hop distance reached (0 for the sources alone or none)."""
        return int(self.hops[-1]) if self.hops.size else 0

    def as_dict(self) -> dict[int, int]:
        """Node index -> hop distance, in `nodes` order."""
        return dict(zip(self.nodes.tolist(), self.hops.tolist(), strict=True))


def blast_radius(
    topology: Topology,
    sources: Iterable[int],
    *,
    max_hops: int | None = None,
    vectorise_after: int | None = None,
) -> BlastRadius:
    """Everything that depends, transitively, on the failed `sources`.

    `sources` are node indices (one component or a whole domain); they are
    part of the result at hop 0. `max_hops` limits the distance.
    `vectorise_after` overrides `VECTORISE_AFTER` (tests force either path).
    """
    n = len(topology)
    start: list[int] = []
    for value in sorted({operator.index(s) for s in sources}):
        if not 0 <= value < n:
            raise ValueError(f"source {value} is not a node index (0..{n - 1})")
        start.append(value)
    if max_hops is not None and max_hops < 0:
        raise ValueError(f"max_hops must be >= 0, not {max_hops}")
    limit = max(VECTORISE_AFTER, n // 800) if vectorise_after is None else vectorise_after

    dependents = topology.dependents
    levels: list[list[int]] = [start] if start else []
    seen = set(start)
    frontier = start
    hop = 0
    while frontier and (max_hops is None or hop < max_hops):
        if len(seen) > limit:
            tail_nodes, tail_hops = _continue_in_scipy(topology, frontier, hop, seen, max_hops)
            head_nodes, head_hops = _flatten(levels)
            return BlastRadius(
                np.concatenate((head_nodes, tail_nodes)), np.concatenate((head_hops, tail_hops))
            )
        reached: list[int] = []
        for u in frontier:
            for v in dependents[u]:
                if v not in seen:
                    seen.add(v)
                    reached.append(v)
        if not reached:
            break
        reached.sort()
        levels.append(reached)
        frontier = reached
        hop += 1
    return BlastRadius(*_flatten(levels))


def prepare(topology: Topology) -> None:
    """Get the scipy search of large radii ready for `topology` now (any thread).

    The first large radius otherwise pays for importing scipy and building
    the index (~0.3 s on a 10k-node topology); a console warms it up off the
    GUI thread when a topology loads. Small topologies never need it.
    """
    if len(topology) > VECTORISE_AFTER:
        from core.graph.warmup import import_scipy

        import_scipy()  # here, so that no search imports it

        _reverse_index(topology)


def _flatten(levels: list[list[int]]) -> tuple[IndexArray, IndexArray]:
    nodes = np.array([v for level in levels for v in level], dtype=np.int32)
    hops = np.repeat(np.arange(len(levels), dtype=np.int32), [len(lv) for lv in levels])
    return nodes, hops.astype(np.int32, copy=False)


def _continue_in_scipy(
    topology: Topology, frontier: list[int], hop: int, seen: set[int], max_hops: int | None
) -> tuple[IndexArray, IndexArray]:
    """The levels after `frontier` (at `hop`): nodes not in `seen`, with hops."""
    index = _reverse_index(topology)
    k = len(frontier)
    last_level = None if max_hops is None else max_hops - hop
    with index.lock:
        order, parent_at, predecessors = index.search(frontier)
        tail = order[1 + k :]
        m = order.size
        # Level ends, as positions in `order`; the frontier ends at 1 + k.
        bounds = [1 + k]
        while bounds[-1] < m and len(bounds) <= _LEVEL_LOOP_LIMIT:
            if last_level is not None and len(bounds) > last_level:
                break
            bounds.append(1 + k + int(parent_at.searchsorted(np.int32(bounds[-1]), side="left")))
        if bounds[-1] >= m or (last_level is not None and len(bounds) > last_level):
            sizes = np.diff(np.asarray(bounds))
            nodes = tail[: int(sizes.sum())].copy()
            hops = np.repeat(np.arange(hop + 1, hop + 1 + sizes.size, dtype=np.int32), sizes)
            for begin, end in pairwise(bounds):
                nodes[begin - 1 - k : end - 1 - k].sort()
        else:
            nodes, hops = tail.copy(), _deep_hops(parent_at - (1 + k), hop)
            if max_hops is not None:
                keep = hops <= max_hops
                nodes, hops = nodes[keep], hops[keep]
            by_level = np.lexsort((nodes, hops))
            nodes, hops = nodes[by_level], hops[by_level]
        # With cycles (or undirected links) the search from the frontier can
        # walk back into earlier levels; those nodes already have their hop.
        # Whether it did shows in the predecessors of the (few) earlier nodes,
        # so a DAG skips the filtering pass over the whole result.
        earlier = np.fromiter(seen, dtype=np.int64, count=len(seen))
        parents = predecessors[earlier]
        if np.any((parents >= 0) & (parents != index.n)):
            fresh = index.unseen(nodes, earlier)
            nodes, hops = nodes[fresh], hops[fresh]
    return nodes, hops


def _deep_hops(parent_at: npt.NDArray[np.int32], hop: int) -> IndexArray:
    """Hops of a deep BFS tail by pointer doubling over predecessor positions.

    `parent_at[j]` is the tail position of element j's predecessor, negative
    when the predecessor is in the frontier (so j is at hop + 1).
    ceil(log2(depth)) vectorised rounds instead of one Python step per level.
    """
    m = parent_at.size
    # Index 0 is a sentinel root (the frontier) at depth 0; tail element j
    # lives at index j + 1.
    jump = np.zeros(m + 1, dtype=np.int64)
    jump[1:] = np.maximum(parent_at.astype(np.int64) + 1, 0)
    depth = np.ones(m + 1, dtype=np.int64)
    depth[0] = 0
    while jump.any():
        depth += depth[jump]
        jump = jump[jump]
    return (depth[1:] + hop).astype(np.int32)


class _ReverseIndex:
    """Dependents CSR of one topology plus a virtual source row, for scipy.

    Built once per topology from `Topology.dependents_csr` with int32 index
    arrays and float64 data, the form scipy csgraph uses without converting
    (DESIGN.md 7). Row n is the virtual node: a search writes the frontier
    into the spare tail of `indices` and extends row n over it (scipy allows
    index arrays longer than the stored entries), so no matrix is built per
    call. Searches share that row and the scratch arrays: hold `lock`.
    """

    def __init__(self, topology: Topology) -> None:
        from scipy.sparse import csr_array

        csr = topology.dependents_csr
        n = len(topology)
        nnz = int(csr.indptr[-1])
        if nnz + n >= 2**31:
            raise ValueError("topology too large for 32-bit sparse indices")
        self.n = n
        self.nnz = nnz
        self.indptr = np.empty(n + 2, dtype=np.int32)
        self.indptr[: n + 1] = csr.indptr
        # Built with row n spanning all the spare room: the constructor prunes
        # index arrays to indptr[-1], and the search shrinks row n afterwards.
        self.indptr[n + 1] = nnz + n
        indices = np.zeros(nnz + n, dtype=np.int32)
        indices[:nnz] = csr.indices[:nnz]
        self.graph = csr_array(
            (np.ones(nnz + n, dtype=np.float64), indices, self.indptr),
            shape=(n + 1, n + 1),
            copy=False,
        )
        self.indices = self.graph.indices
        self.indptr = self.graph.indptr
        if self.indices.size != nnz + n or self.indptr[n + 1] != nnz + n:
            raise RuntimeError("scipy copied or pruned the traversal arrays")
        self.indptr[n + 1] = nnz
        self.position = np.empty(n + 1, dtype=np.int32)
        self.earlier = np.zeros(n + 1, dtype=bool)
        self.lock = threading.Lock()

    def search(self, frontier: list[int]) -> tuple[IndexArray, IndexArray, IndexArray]:
        """BFS order from the virtual node over `frontier`, parent positions, predecessors.

        `order[0]` is the virtual node, `order[1 : 1 + k]` the frontier; for
        `j >= 1 + k`, `parent_at[j - 1 - k]` is the position in `order` of the
        node through which order[j] was first reached. `predecessors` is
        scipy's (negative for nodes not reached). Call with `lock` held.
        """
        from scipy.sparse.csgraph import breadth_first_order

        n, nnz, k = self.n, self.nnz, len(frontier)
        self.indices[nnz : nnz + k] = frontier
        self.indptr[n + 1] = nnz + k
        try:
            order, predecessors = breadth_first_order(
                self.graph, n, directed=True, return_predecessors=True
            )
        finally:
            self.indptr[n + 1] = nnz
        self.position[order] = np.arange(order.size, dtype=np.int32)
        return order, self.position[predecessors[order[1 + k :]]], predecessors

    def unseen(self, nodes: IndexArray, marks: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        """Mask of `nodes` not among `marks`. Call with `lock` held."""
        self.earlier[marks] = True
        try:
            return ~self.earlier[nodes]
        finally:
            self.earlier[marks] = False


_indexes: weakref.WeakKeyDictionary[Topology, _ReverseIndex] = weakref.WeakKeyDictionary()
_indexes_lock = threading.Lock()


def _reverse_index(topology: Topology) -> _ReverseIndex:
    with _indexes_lock:
        index = _indexes.get(topology)
        if index is None:
            index = _indexes[topology] = _ReverseIndex(topology)
        return index
