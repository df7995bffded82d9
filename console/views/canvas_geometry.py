"""Geometry and glyphs for the topology canvas: node shapes, badges, hulls, edge culling.

Plain numpy and QPainterPath helpers, kept apart from the view so the view
reads as wiring and the arithmetic can be tested on its own.
"""

from __future__ import annotations

import math
import sys
from typing import Any

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QPointF
from PySide6.QtGui import QPainterPath, QPolygonF

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

KIND_SYMBOLS: dict[str, str] = {
    "service": "o",
    "auth": "o",
    "config": "o",
    "database": "s",
    "storage": "s",
    "cache": "p",
    "queue": "p",
    "host": "h",
    "switch": "d",
    "router": "d",
    "firewall": "d",
    "network": "d",
    "dns": "t",
    "ntp": "t",
    "gateway": "star",
    "load_balancer": "star",
    "cdn": "star",
    "edge": "star",
}
"""Marker shape per component kind (pyqtgraph symbol names); unknown kinds are circles."""

KIND_LEGEND: tuple[tuple[str, str], ...] = (
    ("o", "service"),
    ("s", "database"),
    ("p", "cache/queue"),
    ("h", "host"),
    ("d", "network"),
    ("t", "dns/ntp"),
    ("star", "edge"),
)


def kind_symbol(kind: str) -> str:
    return KIND_SYMBOLS.get(kind.strip().lower().replace("-", "_"), "o")


def edge_segments(positions: FloatArray, a: IntArray, b: IntArray) -> tuple[FloatArray, FloatArray]:
    """Interleaved x and y arrays for `connect='pairs'` (one segment per edge)."""
    x = np.empty(a.size * 2, dtype=np.float64)
    y = np.empty(a.size * 2, dtype=np.float64)
    x[0::2] = positions[a, 0]
    x[1::2] = positions[b, 0]
    y[0::2] = positions[a, 1]
    y[1::2] = positions[b, 1]
    return x, y


class EdgeIndex:
    """Edge bounding boxes sorted by length, for culling and level of detail.

    Long edges dominate repaint (DESIGN.md 7), so when more than `budget`
    edges are in view the shortest are drawn first and the longest dropped;
    edges shorter than a pixel are dropped too (they would draw a dot).
    """

    def __init__(self, positions: FloatArray, a: IntArray, b: IntArray) -> None:
        pa, pb = positions[a], positions[b]
        length = np.hypot(*(pa - pb).T)
        order = np.argsort(length)  # ties in any (deterministic) order
        self.a = a[order]
        self.b = b[order]
        self.length = length[order]
        pa, pb = pa[order], pb[order]
        self.low = np.minimum(pa, pb)
        self.high = np.maximum(pa, pb)

    def __len__(self) -> int:
        return int(self.a.size)

    def visible(
        self, view: tuple[float, float, float, float], pixel: float, budget: int
    ) -> npt.NDArray[np.intp]:
        """Positions (into the sorted arrays) of the edges to draw for this view."""
        x0, y0, x1, y1 = view
        inside = (
            (self.high[:, 0] >= x0)
            & (self.low[:, 0] <= x1)
            & (self.high[:, 1] >= y0)
            & (self.low[:, 1] <= y1)
        )
        if pixel > 0:
            inside &= self.length >= pixel
        chosen = np.flatnonzero(inside)
        return chosen[:budget]


def load_hull_library() -> None:
    """Import scipy's Qhull binding now (call off the GUI thread, e.g. while a topology loads).

    The first domain hull otherwise imports it on the GUI thread: a one-time
    stall of ~240-370 ms in the middle of the first alert burst.
    """
    from core.graph.warmup import import_scipy

    import_scipy()


def _hull_library() -> Any:
    """scipy.spatial, or None while a worker is still importing it (`load_hull_library`).

    Asking for a module another thread is importing waits for that import to
    finish: the first hull of a replay played at once after loading stopped the
    GUI thread 60-150 ms on the import lock. Until then the hull is made by the
    monotone chain (the same polygon, slower).
    """
    module = sys.modules.get("scipy.spatial")
    if module is None:
        import scipy.spatial  # nobody is importing it: the GUI thread does, once

        return scipy.spatial
    if getattr(getattr(module, "__spec__", None), "_initializing", False):
        return None
    return module


def padded_hull(points: FloatArray, pad: float) -> FloatArray:
    """Vertices of a polygon around `points` at distance ~`pad` (hull of small circles)."""
    angles = np.linspace(0, 2 * math.pi, 12, endpoint=False)
    ring = np.column_stack((np.cos(angles), np.sin(angles))) * pad
    cloud = (points[:, None, :] + ring[None, :, :]).reshape(-1, 2)
    spatial = _hull_library()
    if spatial is not None and pad > 0 and np.all(np.isfinite(cloud)):
        # Qhull (C): the pure-Python chain cost ~5 ms a domain, per domain refresh
        try:
            return cloud[spatial.ConvexHull(cloud).vertices]  # counter-clockwise in 2-D
        except spatial.QhullError:
            pass
    if len(points) > 3:
        # only the points' own hull vertices can be extreme once padded
        points = convex_hull(points)
        cloud = (points[:, None, :] + ring[None, :, :]).reshape(-1, 2)
    return convex_hull(cloud)


def polygon_area(vertices: FloatArray) -> float:
    """Shoelace area of a simple polygon."""
    if len(vertices) < 3:
        return 0.0
    x, y = vertices[:, 0], vertices[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def polygon_path(hull: FloatArray) -> QPainterPath:
    path = QPainterPath()
    path.addPolygon(QPolygonF([QPointF(float(x), float(y)) for x, y in hull]))
    path.closeSubpath()
    return path


def convex_hull(points: FloatArray) -> FloatArray:
    """Andrew's monotone chain; returns hull vertices counter-clockwise."""
    pts = np.unique(points, axis=0)
    if len(pts) <= 2:
        return pts

    def cross(o: FloatArray, a: FloatArray, b: FloatArray) -> float:
        return float((a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]))

    lower: list[FloatArray] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[FloatArray] = []
    for p in pts[::-1]:
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return np.array(lower[:-1] + upper[:-1])


def typical_spacing(positions: FloatArray) -> float:
    """The distance between neighbouring nodes, roughly: sqrt(bounding area / n)."""
    n = len(positions)
    if n < 2:
        return 1.0
    span = np.ptp(positions, axis=0)
    area = max(float(span[0]), 1e-9) * max(float(span[1]), 1e-9)
    spacing = math.sqrt(area / n)
    if not math.isfinite(spacing) or spacing <= 0:
        spacing = max(float(span.max()) / math.sqrt(n), 1e-6)
    return spacing
