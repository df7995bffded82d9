"""The canvas's estate-sized layers: nodes, edges, blast-radius highlight, status marks.

A handful of items whatever the estate's size (DESIGN.md 5). The big layers
(nodes, edges, halos) keep a device-coordinate cache: a repaint that does not
change them, and a pan (a pure translation), blits a pixmap instead of
drawing 100k markers again; Qt re-renders a cached layer only when its data
or the zoom changes, and while panning only the newly exposed strip.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QGuiApplication, QPen, QPixmapCache
from PySide6.QtWidgets import QGraphicsItem

from console.theme import SEVERITY_SYMBOLS, Theme
from console.views.canvas_geometry import EdgeIndex, FloatArray, IntArray, edge_segments
from console.views.canvas_markers import MarkerLayer
from core.model import Severity

EDGE_BUDGET = 60_000
"""Most edges drawn at once; beyond it the longest in view are left out."""
EDGE_MARGIN = 0.25
"""Culled edges cover the view plus this fraction of it on each side, so short
pans do not re-cull (nor re-render the cached edge layer)."""
NODE_PX = 9
ALERT_PX = 15
BADGE_PX = 10
HALO_PX = 28
SEVERITIES = tuple(Severity)


def cosmetic_pen(colour: object, width: float, style: Qt.PenStyle | None = None) -> QPen:
    pen = QPen(colour)
    pen.setCosmetic(True)
    pen.setWidthF(width)
    if style is not None:
        pen.setStyle(style)
    return pen


def reserve_pixmap_cache(layers: int) -> None:
    """Make room in QPixmapCache for `layers` screen-sized item caches.

    Item caches live in QPixmapCache, 10 MB by default: less than two
    1600x1000 layers, so without this they evict each other every frame and
    the cached layers are drawn twice (into the pixmap, then the pixmap).
    """
    screen = QGuiApplication.primaryScreen()
    if screen is None:
        return
    size = screen.size() * screen.devicePixelRatio()
    needed_kb = layers * max(size.width(), 1920) * max(size.height(), 1200) * 4 // 1024
    if QPixmapCache.cacheLimit() < needed_kb:
        QPixmapCache.setCacheLimit(needed_kb)


class EstateLayers:
    """Owns the estate's pyqtgraph items and draws them from the view's state."""

    def __init__(self, viewbox: pg.ViewBox) -> None:
        self.viewbox = viewbox
        self.halos = MarkerLayer(HALO_PX)
        self.edges = pg.PlotCurveItem(connect="pairs", skipFiniteCheck=True, antialias=False)
        self.hl_edges = pg.PlotCurveItem(connect="pairs", skipFiniteCheck=True, antialias=False)
        self.nodes = MarkerLayer(NODE_PX)
        self.hl_nodes = MarkerLayer(NODE_PX + 3)
        self.alerting = pg.ScatterPlotItem(pxMode=True, size=ALERT_PX)
        self.badges = pg.ScatterPlotItem(pxMode=True, size=BADGE_PX)
        self.selected = pg.ScatterPlotItem(pxMode=True, symbol="o", size=ALERT_PX + 12)
        items = (
            self.halos,
            self.edges,
            self.hl_edges,
            self.nodes,
            self.hl_nodes,
            self.alerting,
            self.badges,
            self.selected,
        )
        for z, item in enumerate(items):
            item.setZValue(10 + z)
            viewbox.addItem(item)
        for item in (self.halos, self.edges, self.nodes, self.hl_nodes):
            item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        reserve_pixmap_cache(layers=6)
        self.positions: FloatArray | None = None
        self.shapes: IntArray = np.zeros(0, dtype=np.int64)
        self.edge_a: IntArray = np.zeros(0, dtype=np.int64)
        self.edge_b: IntArray = np.zeros(0, dtype=np.int64)
        self.edge_index: EdgeIndex | None = None
        self._edge_window: tuple[float, float, float, float, float] | None = None
        self._brushes: dict[tuple[Severity, bool], QBrush] = {}
        self._badge_brushes: dict[tuple[Severity, bool], QBrush] = {}
        self._outline = QPen()
        self._silent_pen = QPen()
        self._silent_brush = QBrush()
        self.badge_nodes: IntArray = np.zeros(0, dtype=np.int64)
        self._badge_style: dict[str, object] = {}
        self._badge_pixel: tuple[float, float] | None = None

    # -- estate ------------------------------------------------------------

    def set_edges(self, a: IntArray, b: IntArray) -> None:
        self.edge_a, self.edge_b = a, b
        self.positions = None
        self.edge_index = None

    def set_positions(self, positions: FloatArray, shapes: IntArray) -> None:
        self.positions = positions
        self.shapes = shapes
        self.edge_index = EdgeIndex(positions, self.edge_a, self.edge_b)
        self._edge_window = None
        self.nodes.set_points(positions, shapes)

    # -- theme -------------------------------------------------------------

    def apply_theme(self, theme: Theme) -> None:
        self.nodes.set_styles(
            [(cosmetic_pen(theme.color("border"), 1.2), QBrush(theme.color("surface_alt")))]
        )
        self.edges.setPen(cosmetic_pen(theme.color("edge"), 1.0))
        self.hl_edges.setPen(cosmetic_pen(theme.color("highlight"), 2.2))
        self.hl_nodes.set_styles(
            [(cosmetic_pen(theme.color("highlight"), 2.5), QBrush(theme.color("surface_alt")))]
        )
        self.selected.setPen(cosmetic_pen(theme.color("focus"), 3.0))
        self.selected.setBrush(QBrush(Qt.BrushStyle.NoBrush))
        halos = []
        for severity in SEVERITIES:
            colour = theme.severity_color(severity)
            colour.setAlpha(90)
            halos.append((None, QBrush(colour)))
        self.halos.set_styles(halos)
        # shared brushes and pens: pyqtgraph's symbol atlas keys on the objects,
        # so one object per look keeps it to a few entries instead of one per node
        self._brushes.clear()
        self._badge_brushes.clear()
        self._outline = cosmetic_pen(theme.color("text"), 2.5)
        self._silent_pen = cosmetic_pen(theme.color("silent"), 2.5, Qt.PenStyle.DashLine)
        self._silent_brush = QBrush(theme.color("surface_alt"))
        self._theme = theme

    def _fill(self, severity: Severity, faded: bool) -> QBrush:
        brush = self._brushes.get((severity, faded))
        if brush is None:
            colour = self._theme.severity_color(severity)
            if faded:
                colour.setAlpha(90)
            brush = self._brushes[severity, faded] = QBrush(colour)
        return brush

    def _badge_fill(self, severity: Severity, faded: bool) -> QBrush:
        if severity <= Severity.INFO:
            return self._badge_brushes.setdefault((severity, faded), QBrush(Qt.BrushStyle.NoBrush))
        return self._fill(severity, faded)

    # -- edges -------------------------------------------------------------

    def draw_edges(self, dimmed: bool, force: bool = False) -> None:
        """All edges, or beyond EDGE_BUDGET those near the view by level of detail."""
        index, positions = self.edge_index, self.positions
        if positions is None or index is None:
            return
        if len(index) <= EDGE_BUDGET:
            if force or self._edge_window is None:
                chosen = np.arange(len(index))
                self._edge_window = (0.0, 0.0, 0.0, 0.0, 0.0)
                self._set_edges(index, chosen)
        else:
            (x0, x1), (y0, y1) = self.viewbox.viewRange()
            pixel = float(self.viewbox.viewPixelSize()[0])
            window = self._edge_window
            inside = (
                window is not None
                and window[0] <= x0
                and window[1] <= y0
                and window[2] >= x1
                and window[3] >= y1
                and abs(window[4] - pixel) <= 1e-3 * pixel
            )
            if force or not inside:
                mx, my = (x1 - x0) * EDGE_MARGIN, (y1 - y0) * EDGE_MARGIN
                self._edge_window = (x0 - mx, y0 - my, x1 + mx, y1 + my, pixel)
                chosen = index.visible(self._edge_window[:4], pixel, EDGE_BUDGET)
                self._set_edges(index, chosen)
        self.edges.setOpacity(0.35 if dimmed else 1.0)

    def _set_edges(self, index: EdgeIndex, chosen: np.ndarray) -> None:
        assert self.positions is not None
        x, y = edge_segments(self.positions, index.a[chosen], index.b[chosen])
        self.edges.setData(x, y, connect="pairs", skipFiniteCheck=True)

    # -- highlight, status, selection --------------------------------------

    def draw_highlight(self, highlight: np.ndarray, active: bool) -> None:
        positions = self.positions
        if positions is None:
            return
        mask = highlight[self.edge_a] & highlight[self.edge_b]
        x, y = edge_segments(positions, self.edge_a[mask], self.edge_b[mask])
        self.hl_edges.setData(x, y, connect="pairs", skipFiniteCheck=True)
        nodes = np.flatnonzero(highlight)
        self.hl_nodes.set_points(positions[nodes], self.shapes[nodes])
        self.nodes.setOpacity(0.3 if active else 1.0)
        self.edges.setOpacity(0.35 if active else 1.0)

    def draw_status(
        self,
        status: dict[int, Severity],
        silent: set[int],
        highlight: np.ndarray,
        dimmed: bool,
        symbols: list[str],
    ) -> None:
        """Alerting nodes and silent candidates; dimmed outside an active highlight."""
        positions = self.positions
        if positions is None:
            return
        nodes: list[int] = []
        brushes: list[QBrush] = []
        pens: list[QPen] = []
        badge_symbols: list[str] = []
        badge_brushes: list[QBrush] = []
        for node, severity in sorted(status.items(), key=lambda kv: kv[1]):
            faded = dimmed and not highlight[node]
            nodes.append(node)
            brushes.append(self._fill(severity, faded))
            pens.append(self._outline)
            badge_symbols.append(SEVERITY_SYMBOLS[severity] if severity > Severity.INFO else "o")
            badge_brushes.append(self._badge_fill(severity, faded))
        badge_nodes = list(nodes)
        for node in sorted(silent - status.keys()):
            nodes.append(node)
            brushes.append(self._silent_brush)
            pens.append(self._silent_pen)
        self.alerting.setData(
            pos=positions[nodes] if nodes else np.zeros((0, 2)),
            symbol=[symbols[i] for i in nodes],
            brush=brushes,
            pen=pens,
            data=np.array(nodes, dtype=np.int64),
        )
        self.badge_nodes = np.array(badge_nodes, dtype=np.int64)
        self._badge_style = {"symbol": badge_symbols, "brush": badge_brushes, "pen": self._outline}
        self._badge_pixel = None
        self.place_badges()

    def place_badges(self) -> None:
        """Badges sit up and right of their node, a fixed number of pixels away."""
        if self.positions is None:
            return
        sx, sy = (float(v) for v in self.viewbox.viewPixelSize())
        if self._badge_pixel == (sx, sy):
            return  # a pan: the offset in data units has not changed
        self._badge_pixel = (sx, sy)
        offset = np.array([sx, sy]) * ALERT_PX * 0.75
        self.badges.setData(pos=self.positions[self.badge_nodes] + offset, **self._badge_style)

    def draw_selected(self, node: int | None) -> None:
        if self.positions is None or node is None:
            self.selected.setData(pos=np.zeros((0, 2)))
        else:
            self.selected.setData(pos=self.positions[[node]])
