"""Where each component sits on the canvas: stored positions, layered or force layout.

`layout(topology)` returns an (n, 2) float64 array, row i for node i:

- Positions stored in the topology (attrs `x`/`y`; the loaders turn `pos` and
  topohub's longitude/latitude into these) are used as they are. Nodes
  without one are placed next to their positioned neighbours.
- A directed topology gets a layered layout: a component sits above
  everything it depends on (layer = longest dependency chain below it, so
  infrastructure is at the bottom, front ends at the top), cycles broken
  deterministically, the order inside a layer improved by barycentre sweeps,
  and wide layers wrapped into several rows so the drawing stays readable.
- An undirected topology (a network mesh) gets igraph's Fruchterman-Reingold
  with the grid approximation (~0.8 s for 10k nodes, DESIGN.md 5), started
  from seeded positions so the result is deterministic.

Computed layouts are cached as `.npy` files keyed by a SHA-256 of the ids and
edges (and the algorithm version), so opening the same topology again costs a
file read. Pure Python + numpy: no Qt (the console runs this off its GUI thread).
"""

from __future__ import annotations

import hashlib
import math
import os
import random
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from core.graph.topology import Topology

__all__ = [
    "LAYOUT_VERSION",
    "Progress",
    "default_cache_dir",
    "layered_layout",
    "layout",
    "layout_key",
    "layout_layers",
    "stored_positions",
]

Positions = npt.NDArray[np.float64]
Progress = Callable[[float, str], None]
"""Called with the fraction done (0..1) and what is being done."""
Method = Literal["auto", "layered", "force"]

LAYOUT_VERSION = 1
"""Bumped whenever an algorithm changes, so stale cache files are not reused."""

ROW_GAP = 0.7
"""Distance between the wrapped rows of one layer (node spacing is 1)."""
LAYER_GAP = 1.8
"""Distance between the last row of a layer and the first of the next."""
SWEEPS = 6
"""Barycentre sweeps (alternating up/down) for crossing reduction."""


_IGRAPH_RNG_LOCK = threading.Lock()


def default_cache_dir() -> Path:
    """The platform's user cache directory for Watchfloor layouts."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "watchfloor" / "layouts"


def layout(
    topology: Topology,
    *,
    method: Method = "auto",
    cache_dir: Path | str | None = None,
    use_cache: bool = True,
    progress: Progress | None = None,
    seed: int = 1126,
) -> Positions:
    """Positions for every node: stored ones when present, else computed (and cached).

    `method` "auto" picks layered for directed topologies and force for
    undirected ones. `cache_dir` defaults to `default_cache_dir()`;
    `use_cache=False` neither reads nor writes the cache.
    """
    report = progress or _silent
    n = len(topology)
    if n == 0:
        return np.zeros((0, 2), dtype=np.float64)
    stored, known = stored_positions(topology)
    if known.all():
        report(1.0, "stored positions")
        return stored
    if known.any():
        report(1.0, "stored positions (partial)")
        return _place_unpositioned(topology, stored, known)
    chosen = method if method != "auto" else ("layered" if topology.directed else "force")
    path: Path | None = None
    if use_cache:
        folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        path = folder / f"{layout_key(topology, chosen, seed)}.npy"
        cached = _read_cache(path, n)
        if cached is not None:
            report(1.0, "cached layout")
            return cached
    if chosen == "layered":
        computed = layered_layout(topology, progress=report)
    else:
        computed = force_layout(topology, seed=seed, progress=report)
    if path is not None:
        _write_cache(path, computed)
    report(1.0, "done")
    return computed


def layout_key(topology: Topology, method: str, seed: int = 1126) -> str:
    """SHA-256 over ids, edges, directedness, method and algorithm version."""
    digest = hashlib.sha256()
    digest.update(f"v{LAYOUT_VERSION}|{method}|{seed}|{topology.directed}|".encode())
    for node_id in topology.ids:
        digest.update(node_id.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    digest.update(b"\x01")
    a, b = _edge_arrays(topology)
    digest.update(a.astype("<i8").tobytes())
    digest.update(b.astype("<i8").tobytes())
    return digest.hexdigest()


def stored_positions(topology: Topology) -> tuple[Positions, npt.NDArray[np.bool_]]:
    """Positions from node attributes, and which nodes have a usable one."""
    n = len(topology)
    out = np.zeros((n, 2), dtype=np.float64)
    known = np.zeros(n, dtype=bool)
    for i, attrs in enumerate(topology.attrs):
        x, y = attrs.get("x"), attrs.get("y")
        if isinstance(x, int | float) and isinstance(y, int | float):
            fx, fy = float(x), float(y)
            if math.isfinite(fx) and math.isfinite(fy):
                out[i] = (fx, fy)
                known[i] = True
    return out, known


# -- layered layout -----------------------------------------------------------------------


def layout_layers(topology: Topology) -> npt.NDArray[np.int64]:
    """Layer of every node: 0 for components that depend on nothing, else 1 + max below.

    Cycles are broken first by dropping the back edges of a depth-first
    search in node order, so the result is deterministic; on the remaining
    DAG every dependency sits in a strictly lower layer than its dependent.
    """
    deps = _acyclic_dependencies(topology)
    n = len(topology)
    layer = np.zeros(n, dtype=np.int64)
    # Longest path from the sinks: process in reverse topological order.
    for node in _topological_order(deps, n):
        below = deps[node]
        if below:
            layer[node] = 1 + max(int(layer[d]) for d in below)
    return layer


def layered_layout(topology: Topology, *, progress: Progress | None = None) -> Positions:
    """Layered (Sugiyama-style) layout; layer 0 (what everything depends on) at the bottom."""
    report = progress or _silent
    n = len(topology)
    report(0.05, "layering")
    layer = layout_layers(topology)
    n_layers = int(layer.max()) + 1 if n else 0
    members = [np.flatnonzero(layer == k) for k in range(n_layers)]
    # Start each layer in node order (load order keeps related nodes together).
    order = np.zeros(n, dtype=np.float64)
    for nodes in members:
        order[nodes] = _centred(len(nodes))
    adjacency, degree = _neighbour_matrix(topology)
    report(0.2, "reducing crossings")
    for sweep in range(SWEEPS):
        sequence = range(n_layers) if sweep % 2 == 0 else range(n_layers - 1, -1, -1)
        for k in sequence:
            nodes = members[k]
            if len(nodes) < 2:
                continue
            sums = adjacency[nodes] @ order
            deg = degree[nodes]
            bary = np.where(deg > 0, sums / np.maximum(deg, 1), order[nodes])
            # Ties keep the current order (stable), so sweeps converge.
            ranked = nodes[np.lexsort((order[nodes], bary))]
            members[k] = ranked
            order[ranked] = _centred(len(ranked))
        report(0.2 + 0.7 * (sweep + 1) / SWEEPS, "reducing crossings")
    width = max(8, math.ceil(math.sqrt(n) * 1.6))
    positions = np.zeros((n, 2), dtype=np.float64)
    y = 0.0
    for nodes in members:
        count = len(nodes)
        rows = max(1, math.ceil(count / width))
        slot = np.arange(count)
        # Column-major wrapping keeps the barycentre order left to right.
        col, row = slot // rows, slot % rows
        cols = math.ceil(count / rows)
        positions[nodes, 0] = col - (cols - 1) / 2 + (row % 2) * 0.5 * (rows > 1)
        positions[nodes, 1] = y + row * ROW_GAP
        y += (rows - 1) * ROW_GAP + LAYER_GAP
    return positions


def _acyclic_dependencies(topology: Topology) -> list[list[int]]:
    """Dependencies with the back edges of an iterative DFS (node order) removed."""
    n = len(topology)
    dependencies = topology.dependencies
    if not topology.directed:
        # Both directions are listed: keep each link once, towards the lower index.
        return [[d for d in dependencies[i] if d < i] for i in range(n)]
    state = bytearray(n)  # 0 new, 1 on the stack, 2 done
    kept: list[list[int]] = [[] for _ in range(n)]
    for root in range(n):
        if state[root]:
            continue
        state[root] = 1
        stack: list[tuple[int, int]] = [(root, 0)]
        while stack:
            node, position = stack[-1]
            below = dependencies[node]
            if position < len(below):
                stack[-1] = (node, position + 1)
                child = below[position]
                if state[child] == 1:
                    continue  # a back edge closes a cycle: dropped
                kept[node].append(child)
                if state[child] == 0:
                    state[child] = 1
                    stack.append((child, 0))
            else:
                state[node] = 2
                stack.pop()
    return kept


def _topological_order(deps: list[list[int]], n: int) -> list[int]:
    """Nodes ordered so that every node comes after all its dependencies."""
    remaining = [len(d) for d in deps]
    above: list[list[int]] = [[] for _ in range(n)]
    for node, below in enumerate(deps):
        for d in below:
            above[d].append(node)
    ready = [i for i in range(n) if remaining[i] == 0]
    order: list[int] = []
    for node in ready:  # `ready` grows while iterating: a FIFO without deque
        order.append(node)
        for up in above[node]:
            remaining[up] -= 1
            if remaining[up] == 0:
                ready.append(up)
    return order


def _neighbour_matrix(topology: Topology) -> tuple[Any, npt.NDArray[np.float64]]:
    """Symmetric 0/1 adjacency (CSR) and degree, for barycentres."""
    from scipy.sparse import csr_array

    n = len(topology)
    a, b = _edge_arrays(topology)
    rows = np.concatenate((a, b))
    cols = np.concatenate((b, a))
    matrix = csr_array((np.ones(rows.size, dtype=np.float64), (rows, cols)), shape=(n, n))
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    degree = np.asarray(matrix.sum(axis=1), dtype=np.float64).ravel()
    return matrix, degree


def _centred(count: int) -> npt.NDArray[np.float64]:
    return np.arange(count, dtype=np.float64) - (count - 1) / 2


# -- force layout -------------------------------------------------------------------------


def force_layout(
    topology: Topology, *, seed: int = 1126, progress: Progress | None = None
) -> Positions:
    """igraph Fruchterman-Reingold (grid), seeded: the same graph gives the same drawing."""
    import igraph

    report = progress or _silent
    n = len(topology)
    a, b = _edge_arrays(topology)
    if not topology.directed:
        keep = a < b
        a, b = a[keep], b[keep]
    report(0.1, "force layout")
    graph = igraph.Graph(n=n, edges=np.column_stack((a, b)).tolist(), directed=False)
    rng = np.random.default_rng(seed)
    side = math.sqrt(n)
    # igraph's grid is centred on the origin: a start placed elsewhere (say in
    # [0, side]^2) was measured 10x slower at 10k nodes, far from it ~70x.
    start = ((rng.random((n, 2)) - 0.5) * side).tolist()
    # FR also draws random numbers while it runs: seed igraph's generator too
    # (process-global, hence the lock; the default generator is put back).
    with _IGRAPH_RNG_LOCK:
        igraph.set_random_number_generator(random.Random(seed))
        try:
            coords = graph.layout_fruchterman_reingold(
                seed=start, grid="grid" if n > 500 else "nogrid"
            )
        finally:
            igraph.set_random_number_generator(random)
    positions = np.asarray(coords.coords, dtype=np.float64).reshape(n, 2)
    # Scale so the typical spacing is ~1, as in the layered layout.
    span = np.ptp(positions, axis=0).max() if n > 1 else 1.0
    if span > 0:
        positions *= side / span
    return positions


# -- shared -------------------------------------------------------------------------------


def _edge_arrays(topology: Topology) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(dependent, dependency) index arrays of every listed edge."""
    counts = np.fromiter(
        (len(d) for d in topology.dependencies), dtype=np.int64, count=len(topology)
    )
    a = np.repeat(np.arange(len(topology), dtype=np.int64), counts)
    b = np.fromiter(
        (j for deps in topology.dependencies for j in deps), dtype=np.int64, count=int(counts.sum())
    )
    return a, b


def _place_unpositioned(
    topology: Topology, stored: Positions, known: npt.NDArray[np.bool_]
) -> Positions:
    """Stored positions kept; the others placed at the mean of positioned neighbours.

    Nodes with neither a stored position nor a (transitively) positioned
    neighbour go in a row below the drawing.
    """
    out = stored.copy()
    placed = known.copy()
    for _ in range(4):  # a few rounds: neighbours of neighbours get placed too
        newly = []
        for i in np.flatnonzero(~placed).tolist():
            around = [j for j in topology.neighbours(i) if placed[j]]
            if around:
                out[i] = out[around].mean(axis=0)
                newly.append(i)
        if not newly:
            break
        placed[newly] = True
    rest = np.flatnonzero(~placed)
    if rest.size:
        low, high = out[placed].min(axis=0), out[placed].max(axis=0)
        step = max(float((high - low).max()), 1.0) / max(rest.size, 1)
        out[rest, 0] = low[0] + np.arange(rest.size) * step
        out[rest, 1] = low[1] - 0.1 * max(float((high - low).max()), 1.0)
    return out


def _read_cache(path: Path, n: int) -> Positions | None:
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    if data.shape != (n, 2) or data.dtype != np.float64 or not np.isfinite(data).all():
        return None
    return np.ascontiguousarray(data)


def _write_cache(path: Path, positions: Positions) -> None:
    """Atomically (temp file + rename); a cache that cannot be written is not an error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                np.save(out, positions, allow_pickle=False)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        pass


def _silent(_fraction: float, _message: str) -> None:
    return None
