"""The canvas's estate-sized layers: nodes, edges, blast-radius highlight, status marks.

A handful of items whatever the estate's size (DESIGN.md 5). The big layers
(nodes, edges, halos) keep a device-coordinate cache: a repaint that does not
change them, and a pan (a pure translation), blits a pixmap instead of
drawing 100k markers again; Qt re-renders a cached layer only when its data
or the zoom changes, and while panning only the newly exposed strip (while
the zoom changes frame after frame, the canvas shows a scaled preview instead:
`canvas_navigation.NavigableCanvas`). Zoomed in far enough that few nodes are
in view, painting them is cheaper than scrolling and compositing screen-sized
cache pixmaps, so the cache is on only while CACHE_IN_VIEW or more nodes are.

The status marks (alerting nodes, silent candidates, severity badges) are
sparse marker layers over every node: the per-node severity, silent and
faded arrays live here, and a change restyles only the nodes it touched.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QGuiApplication, QPen, QPixmapCache
from PySide6.QtWidgets import QGraphicsItem

from console.theme import SEVERITY_SYMBOLS, Theme
from console.views.canvas_geometry import EdgeIndex, FloatArray, IntArray, edge_segments
from console.views.canvas_markers import HIDDEN, MarkerLayer
from core.model import Severity

EDGE_BUDGET = 60_000
"""Most edges drawn at once; beyond it the longest in view are left out."""
EDGE_MARGIN = 0.25
"""Culled edges cover the view plus this fraction of it on each side, so short
pans do not re-cull (nor re-render the cached edge layer)."""
CACHE_IN_VIEW = 2500
"""Nodes in view from which the big layers keep a device-coordinate cache."""
NODE_PX = 9
MIN_NODE_PX = 4
ALERT_PX = 15
BADGE_PX = 10
HALO_PX = 28
RANGE_PX = NODE_PX + 5
SEVERITIES = tuple(Severity)
SILENT_STYLE = 2 * len(SEVERITIES)
"""Status style of a silent candidate; alerting styles are 2 * severity rank + faded."""
BADGE_SHAPES: tuple[str, ...] = tuple(dict.fromkeys(SEVERITY_SYMBOLS.values()))
_RANK = np.full(max(Severity) + 1, -1, dtype=np.intp)  # severity value -> rank in SEVERITIES
_RANK[[int(s) for s in SEVERITIES]] = np.arange(len(SEVERITIES))
_BADGE_SHAPE = np.zeros(max(Severity) + 1, dtype=np.intp)  # severity value -> badge shape
for _severity, _symbol in SEVERITY_SYMBOLS.items():
    _BADGE_SHAPE[int(_severity)] = BADGE_SHAPES.index(_symbol if _severity > Severity.INFO else "o")


def status_styles(
    severity: npt.NDArray[np.int8], silent: npt.NDArray[np.bool_], faded: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Status mark style, badge style and badge shape for nodes (vectorised).

    `severity` is the worst firing severity's value (0: not alerting). An
    alerting node gets style 2 * rank + faded (rank in SEVERITIES, so the worst
    paint on top) and a badge; a silent candidate that is not alerting gets
    SILENT_STYLE (on top of everything) and no badge; other nodes are HIDDEN.
    """
    rank = _RANK[severity]
    alerting = rank >= 0
    badge = np.where(alerting, 2 * rank + faded, HIDDEN)
    mark = np.where(alerting, badge, np.where(silent, SILENT_STYLE, HIDDEN))
    return mark, badge, _BADGE_SHAPE[severity]


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
        self.in_range = MarkerLayer(RANGE_PX)
        self.hl_nodes = MarkerLayer(NODE_PX + 3)
        self.alerting = MarkerLayer(ALERT_PX)
        badge_offset = ALERT_PX * 0.75  # up and right of the node, in pixels
        self.badges = MarkerLayer(BADGE_PX, BADGE_SHAPES, (badge_offset, badge_offset))
        self.selected = pg.ScatterPlotItem(pxMode=True, symbol="o", size=ALERT_PX + 12)
        items = (
            self.halos,
            self.edges,
            self.hl_edges,
            self.in_range,
            self.nodes,
            self.hl_nodes,
            self.alerting,
            self.badges,
            self.selected,
        )
        for z, item in enumerate(items):
            item.setZValue(10 + z)
            viewbox.addItem(item)
        self._cacheable = (self.halos, self.edges, self.nodes, self.hl_nodes)
        self._cache_view: tuple[float, float, float, float, FloatArray] | None = None
        for item in self._cacheable:
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
        # per node: worst firing severity value (0: none), silent candidate, faded
        self.severity: npt.NDArray[np.int8] = np.zeros(0, dtype=np.int8)
        self.silent: npt.NDArray[np.bool_] = np.zeros(0, dtype=bool)
        self.faded: npt.NDArray[np.bool_] = np.zeros(0, dtype=bool)

    # -- estate ------------------------------------------------------------

    def set_edges(self, a: IntArray, b: IntArray) -> None:
        self.edge_a, self.edge_b = a, b
        self.positions = None
        self.edge_index = None

    @property
    def needs_edge_index(self) -> bool:
        """More edges than EDGE_BUDGET: drawn culled, through an `EdgeIndex`."""
        return len(self.edge_a) > EDGE_BUDGET

    def set_edge_index(self, index: EdgeIndex) -> None:
        """The culling index for the current positions (built off the GUI thread)."""
        self.edge_index = index
        self._edge_window = None

    def set_positions(self, positions: FloatArray, shapes: IntArray) -> None:
        self.positions = positions
        self.shapes = shapes
        self.edge_index = None
        self._edge_window = None
        self.edges.setData([], [])  # until drawn for these positions
        self.nodes.set_points(positions, shapes)
        self.in_range.set_points(positions, shapes, HIDDEN)
        n = len(positions)
        self.severity = np.zeros(n, dtype=np.int8)
        self.silent = np.zeros(n, dtype=bool)
        self.faded = np.zeros(n, dtype=bool)
        self.alerting.set_points(positions, shapes, HIDDEN)
        self.badges.set_points(positions, 0, HIDDEN)

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
        self.in_range.set_styles(
            [(cosmetic_pen(theme.color("text"), 2.0), QBrush(theme.color("surface_alt")))]
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
        marks: list[tuple[QPen | None, QBrush]] = []
        badges: list[tuple[QPen | None, QBrush]] = []
        faded_text = theme.color("text")
        faded_text.setAlpha(90)
        faded_outline = cosmetic_pen(faded_text, 1.5)  # faded: outline too, not just fill
        for severity in SEVERITIES:
            for faded in (False, True):
                outline = faded_outline if faded else self._outline
                marks.append((outline, self._fill(severity, faded)))
                badges.append((outline, self._badge_fill(severity, faded)))
        marks.append((self._silent_pen, self._silent_brush))  # SILENT_STYLE
        self.alerting.set_styles(marks)
        self.badges.set_styles(badges)

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
        if positions is None:
            return
        if not self.needs_edge_index:
            if force or self._edge_window is None:
                self._edge_window = (0.0, 0.0, 0.0, 0.0, 0.0)
                x, y = edge_segments(positions, self.edge_a, self.edge_b)
                self.edges.setData(x, y, connect="pairs", skipFiniteCheck=True)
        elif index is not None:
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

    def adapt_to_view(self, spacing_px: float) -> None:
        """Level of detail for the view: marker size, and caching by what is in view.

        Where nodes sit closer than a marker is wide they only overdraw each
        other (100k nodes in view: ~3 px apart), so markers shrink down to
        MIN_NODE_PX; the big layers are cached while many nodes are in view
        and painted directly when few are.
        """
        positions = self.positions
        if positions is None:
            return
        size = NODE_PX if spacing_px >= NODE_PX else max(MIN_NODE_PX, round(spacing_px * 1.2))
        self.nodes.set_size(size)
        (x0, x1), (y0, y1) = self.viewbox.viewRange()
        last = self._cache_view
        if last is not None and last[4] is positions and last[:4] == (x0, x1, y0, y1):
            return  # a refresh without a view change
        self._cache_view = (x0, x1, y0, y1, positions)
        x, y = positions[:, 0], positions[:, 1]
        in_view = int(np.count_nonzero((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)))
        mode = QGraphicsItem.CacheMode
        wanted = mode.DeviceCoordinateCache if in_view >= CACHE_IN_VIEW else mode.NoCache
        for item in self._cacheable:
            if item.cacheMode() != wanted:
                item.setCacheMode(wanted)

    def _set_edges(self, index: EdgeIndex, chosen: np.ndarray) -> None:
        assert self.positions is not None
        x, y = edge_segments(self.positions, index.a[chosen], index.b[chosen])
        self.edges.setData(x, y, connect="pairs", skipFiniteCheck=True)

    # -- highlight, status, selection --------------------------------------

    def draw_highlight(self, highlight: np.ndarray, dimmed: bool) -> None:
        """The highlighted blast radius on top; the rest dimmed when `dimmed`."""
        positions = self.positions
        if positions is None:
            return
        mask = highlight[self.edge_a] & highlight[self.edge_b]
        x, y = edge_segments(positions, self.edge_a[mask], self.edge_b[mask])
        self.hl_edges.setData(x, y, connect="pairs", skipFiniteCheck=True)
        nodes = np.flatnonzero(highlight)
        self.hl_nodes.set_points(positions[nodes], self.shapes[nodes])
        self.nodes.setOpacity(0.3 if dimmed else 1.0)
        self.edges.setOpacity(0.35 if dimmed else 1.0)

    def set_status(self, nodes: IntArray, severities: npt.NDArray[np.int8]) -> None:
        """The worst firing severity (value, 0: none) of these nodes changed."""
        self.severity[nodes] = severities
        self._restyle(nodes)

    def set_silent(self, silent: set[int]) -> None:
        """The silent root-cause candidates now (only the difference is redrawn)."""
        wanted = np.zeros(len(self.silent), dtype=bool)
        if silent:
            wanted[np.fromiter(silent, dtype=np.intp, count=len(silent))] = True
        self._set_mask(self.silent, wanted, None)

    def set_faded(self, faded: npt.NDArray[np.bool_], nodes: IntArray | None = None) -> None:
        """Which nodes are drawn faded (all of them, or only the entries at `nodes`)."""
        self._set_mask(self.faded, faded, nodes)

    def _set_mask(
        self, mask: npt.NDArray[np.bool_], wanted: npt.NDArray[np.bool_], nodes: IntArray | None
    ) -> None:
        if nodes is None:
            changed = np.flatnonzero(mask != wanted)
            mask[changed] = wanted[changed]
        else:
            changed = nodes[mask[nodes] != wanted[nodes]]
            mask[changed] = wanted[changed]
        self._restyle(changed)

    def _restyle(self, nodes: IntArray) -> None:
        if not len(nodes) or self.positions is None:
            return
        mark, badge, shape = status_styles(
            self.severity[nodes], self.silent[nodes], self.faded[nodes]
        )
        self.alerting.update_points(nodes, mark)
        self.badges.update_points(nodes, badge, shape)

    def restyle_all(self) -> None:
        """Restyle every node from the per-node arrays (what the increments must equal)."""
        self._restyle(np.arange(len(self.severity)))

    def set_in_range(
        self, in_range: npt.NDArray[np.bool_] | None, nodes: IntArray | None = None
    ) -> None:
        """Outline the nodes with alerts in the selected time range (None: no range).

        With `nodes`, only those entries of `in_range` are looked at (a flush).
        """
        if self.positions is None:
            return
        if in_range is None:
            in_range = np.zeros(len(self.positions), dtype=bool)
        current = self.in_range.styles
        if nodes is None:
            changed = np.flatnonzero((current >= 0) != in_range)
        else:
            changed = nodes[(current[nodes] >= 0) != in_range[nodes]]
        styles = np.where(in_range[changed], 0, HIDDEN)
        self.in_range.update_points(changed, styles)

    def draw_selected(self, node: int | None) -> None:
        if self.positions is None or node is None:
            self.selected.setData(pos=np.zeros((0, 2)))
        else:
            self.selected.setData(pos=self.positions[[node]])
