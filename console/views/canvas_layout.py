"""Getting a topology onto the canvas: node shapes, edge arrays, layout off the GUI thread.

Layout (`core.graph.layout`, cached on disk) runs on one worker thread shared
by every canvas; progress and the result come back to the GUI thread through
a relay's queued signals, tagged with a generation so a stale layout (the
topology changed meanwhile) is dropped.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
from itertools import chain
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from console.views.canvas_geometry import EdgeIndex, IntArray, kind_symbol
from console.views.canvas_markers import SHAPE_CODE
from core.graph.layout import layout
from core.graph.topology import Topology

_executor: concurrent.futures.ThreadPoolExecutor | None = None


def _layout_executor() -> concurrent.futures.ThreadPoolExecutor:
    global _executor  # one worker thread shared by every canvas
    if _executor is None:
        _executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="layout")
    return _executor


class LayoutRelay(QObject):
    """Carries layout progress and results from the worker thread to the GUI thread."""

    sig_progress = Signal(int, float, str)
    """Generation, fraction done, stage."""
    sig_done = Signal(int, object)
    """Generation, positions array (or the exception that stopped the layout)."""
    sig_edges = Signal(int, object)
    """Generation, `EdgeIndex` for culling (after the positions: not needed for a first frame)."""


def start_layout(
    topology: Topology,
    relay: LayoutRelay,
    generation: int,
    cache: Path | None,
    edges: tuple[IntArray, IntArray] | None = None,
) -> None:
    """Lay the topology out on the worker thread; results arrive on the relay.

    With `edges`, the edge index for culling is built there too, after the
    positions went out (sorting 250k edges by length would delay the first
    frame of a large estate by a few hundred milliseconds).
    """

    def report(fraction: float, stage: str) -> None:
        _emit(relay.sig_progress, generation, fraction, stage)

    def compute() -> None:
        try:
            result: object = layout(topology, cache_dir=cache, progress=report)
        except Exception as exc:  # shown to the operator, not swallowed
            result = exc
        _emit(relay.sig_done, generation, result)
        if edges is not None and isinstance(result, np.ndarray):
            _emit(relay.sig_edges, generation, EdgeIndex(result, *edges))

    _layout_executor().submit(compute)


def _emit(signal: object, *args: object) -> None:
    """Emit from a worker thread; the receiver may be gone if the view was closed."""
    with contextlib.suppress(RuntimeError):  # the relay was deleted with its view
        signal.emit(*args)  # type: ignore[attr-defined]


def node_shapes(topology: Topology) -> IntArray:
    """Marker shape code per node (index into `canvas_markers.SHAPES`), by component kind.

    One lookup per distinct kind, not per node (100k nodes have ~10 kinds).
    """
    kinds = [str(a.get("kind", "")) for a in topology.attrs]
    codes = {kind: SHAPE_CODE[kind_symbol(kind)] for kind in set(kinds)}
    return np.fromiter((codes[k] for k in kinds), dtype=np.int64, count=len(kinds))


def edge_arrays(topology: Topology) -> tuple[IntArray, IntArray]:
    """(dependent, dependency) index arrays, each undirected edge once."""
    degree = np.fromiter(map(len, topology.dependencies), dtype=np.int64, count=len(topology))
    a = np.repeat(np.arange(len(topology), dtype=np.int64), degree)
    b = np.fromiter(chain.from_iterable(topology.dependencies), dtype=np.int64, count=a.size)
    if not topology.directed:
        keep = a < b
        a, b = a[keep], b[keep]
    return a, b
