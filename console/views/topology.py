"""The topology canvas: what is broken, what it breaks, and where it started.

Drawn with a handful of pyqtgraph items whatever the estate's size
(DESIGN.md 5: scatter + `connect='pairs'` lines keep 10k nodes at ~120 fps,
one item per node managed 9): one scatter for all nodes (shape by kind), one
pairs-curve for edges (culled and thinned by level of detail, DESIGN.md 7),
and small overlays sized by the incident, not the estate: alerting nodes
(severity colour, larger, thick outline and a severity badge), silent
root-cause candidates (dashed outline), the highlighted blast radius, domain
halos and hulls, rank numbers and name labels. Status therefore reads without
colour too: size, outline, badge shape and dash.

Views hold no engine state: on a bridge signal the canvas reads what changed
from `bridge.engine`. Layout runs off the GUI thread (`core.graph.layout`,
cached) and comes back through a queued signal.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from pyqtgraph.GraphicsScene.mouseEvents import MouseClickEvent
from PySide6.QtCore import QObject, QPointF, QRectF, QStringListModel, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QCloseEvent, QColor, QFontMetrics, QKeyEvent, QPen
from PySide6.QtWidgets import (
    QCompleter,
    QGraphicsItem,
    QGraphicsPathItem,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from console.bridge import EngineBridge
from console.selection import Selection
from console.theme import SEVERITY_GLYPHS, SEVERITY_SYMBOLS, Theme
from console.views.canvas_geometry import (
    EdgeIndex,
    FloatArray,
    IntArray,
    edge_segments,
    kind_symbol,
    padded_hull,
    polygon_path,
    typical_spacing,
)
from core.engine import DomainView, Engine
from core.graph.blast import blast_radius
from core.graph.layout import layout
from core.graph.topology import Topology
from core.model import Severity

EDGE_BUDGET = 60_000
"""Most edges drawn at once; beyond it the longest in view are left out."""
LABEL_CAP = 150
"""Most name labels shown at once (those nearest the centre of the view)."""
NAMES_AT_PX = 42.0
"""Node spacing on screen (pixels) from which every node in view gets its name."""
ALERT_NAMES_AT_PX = 16.0
"""Node spacing from which alerting nodes and rank-marked candidates get names."""
NODE_PX = 9
ALERT_PX = 15
BADGE_PX = 10
PICK_PX = 10.0
DOMAIN_OVERLAYS = 40
"""Domains (worst first) that get a label, hull and bold links; all get halos."""

LEGEND = (
    "shape: ○ service  □ database  ⬠ cache/queue  ⬡ host  ◇ network  ▽ dns/ntp  ☆ edge   "
    "status: large + outlined = alerting, badge ▲ critical ◆ major ● warning ○ info;  "
    "dashed outline = silent root-cause candidate;  #n = root-cause rank"
)

_executor: concurrent.futures.ThreadPoolExecutor | None = None


def _layout_executor() -> concurrent.futures.ThreadPoolExecutor:
    global _executor  # one worker thread shared by every canvas
    if _executor is None:
        _executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="layout")
    return _executor


class _LayoutRelay(QObject):
    """Carries layout progress and results from the worker thread to the GUI thread."""

    sig_progress = Signal(int, float, str)
    """Generation, fraction done, stage."""
    sig_done = Signal(int, object)
    """Generation, positions array (or the exception that stopped the layout)."""


class _Canvas(pg.GraphicsView):
    """The graphics view; keys go to the topology view's navigation."""

    def __init__(self, owner: TopologyView) -> None:
        super().__init__()
        self._owner = owner
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def keyPressEvent(self, ev: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if not self._owner.navigate(ev.key(), ev.text()):
            super().keyPressEvent(ev)


class TopologyView(QWidget):
    """Interactive topology canvas following the engine and the shared selection."""

    sig_layout_ready = Signal()
    """Node positions for the current topology are in place and drawn."""
    sig_layout_progress = Signal(float, str)
    """Layout progress while it runs off the GUI thread: fraction done, stage."""

    def __init__(
        self,
        bridge: EngineBridge,
        theme: Theme,
        selection: Selection,
        parent: QWidget | None = None,
        *,
        layout_cache: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.theme = theme
        self.selection = selection
        self._layout_cache = layout_cache
        self._topology: Topology | None = None
        self.positions: FloatArray | None = None
        self._generation = 0
        self._spacing = 1.0
        self._status: dict[int, Severity] = {}  # alerting node -> worst firing severity
        self._silent: set[int] = set()  # silent root-cause candidates of open domains
        self._highlight: np.ndarray = np.zeros(0, dtype=bool)
        self._highlight_active = False
        self._ranks: dict[int, int] = {}  # candidate node -> rank (1 = best)
        self._focus: tuple[str, str] | None = None  # ("component"|"domain", id)
        self._edge_a: IntArray = np.zeros(0, dtype=np.int64)
        self._edge_b: IntArray = np.zeros(0, dtype=np.int64)
        self._edge_index: EdgeIndex | None = None
        self._symbols: list[str] = []
        self._domain_items: list[tuple[list[QGraphicsItem], str]] = []
        self._rank_items: list[pg.TextItem] = []
        self._name_items: list[pg.TextItem] = []
        self._shown_names: list[str] = []
        self._badge_nodes: IntArray = np.zeros(0, dtype=np.int64)
        self._badge_style: dict[str, object] = {}
        self._domain_views: list[DomainView] = []
        self._domain_groups: dict[str, list[int]] = {}

        self._relay = _LayoutRelay(self)
        self._relay.sig_progress.connect(self._on_layout_progress)
        self._relay.sig_done.connect(self._on_layout_done)
        self._build_widgets()
        self._view_timer = QTimer(self)
        self._view_timer.setSingleShot(True)
        self._view_timer.setInterval(30)
        self._view_timer.timeout.connect(self._update_view_dependent)

        bridge.sig_engine_reset.connect(self._on_engine_reset)
        bridge.sig_alerts_changed.connect(self._on_alerts_changed)
        bridge.sig_domains_changed.connect(self._on_domains_changed)
        selection.sig_component_changed.connect(self._on_component_selected)
        selection.sig_domain_changed.connect(self._on_domain_selected)
        selection.sig_focus_requested.connect(self.focus_component)
        theme.sig_changed.connect(self._apply_theme)
        self._apply_theme()
        self._load_topology(bridge.engine.topology)

    # -- construction ------------------------------------------------------

    def _build_widgets(self) -> None:
        self.search_box = QLineEdit(self)
        self.search_box.setPlaceholderText("Find component…")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.setAccessibleName("Find component")
        self._completion = QStringListModel(self)
        completer = QCompleter(self._completion, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setMaxVisibleItems(12)
        self.search_box.setCompleter(completer)
        self.search_box.returnPressed.connect(self._on_search)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 100)
        self.progress.setMaximumWidth(160)
        self.progress.setFormat("layout %p%")
        self.progress.hide()
        self.summary = QLabel(self)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        top = QHBoxLayout()
        top.setContentsMargins(4, 4, 4, 0)
        top.addWidget(self.search_box, 1)
        top.addWidget(self.progress)
        top.addWidget(self.summary)

        self.canvas = _Canvas(self)
        self.viewbox = pg.ViewBox(lockAspect=True, enableMenu=False)
        self.viewbox.invertY(False)
        self.canvas.setCentralItem(self.viewbox)
        self.canvas.setAccessibleName("Topology canvas")

        self._halos = pg.ScatterPlotItem(pxMode=True, symbol="o", size=28, pen=None)
        # 'on': one drawLines call instead of a QPainterPath (cheaper per frame)
        self._edges = pg.PlotCurveItem(
            connect="pairs", skipFiniteCheck=True, antialias=False, segmentedLineMode="on"
        )
        self._hl_edges = pg.PlotCurveItem(connect="pairs", skipFiniteCheck=True, antialias=False)
        self._nodes = pg.ScatterPlotItem(pxMode=True, size=NODE_PX, antialias=False)
        self._hl_nodes = pg.ScatterPlotItem(pxMode=True, size=NODE_PX + 3)
        self._alerting = pg.ScatterPlotItem(pxMode=True, size=ALERT_PX)
        self._badges = pg.ScatterPlotItem(pxMode=True, size=BADGE_PX)
        self._selected = pg.ScatterPlotItem(pxMode=True, symbol="o", size=ALERT_PX + 12)
        for z, item in enumerate(
            (
                self._halos,
                self._edges,
                self._hl_edges,
                self._nodes,
                self._hl_nodes,
                self._alerting,
                self._badges,
                self._selected,
            )
        ):
            item.setZValue(10 + z)
            self.viewbox.addItem(item)
        self.viewbox.sigRangeChanged.connect(self._schedule_view_update)
        self.canvas.scene().sigMouseClicked.connect(self._on_click)

        self.legend = QLabel(LEGEND, self)
        self.legend.setTextFormat(Qt.TextFormat.PlainText)
        self.legend.setWordWrap(True)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addLayout(top)
        box.addWidget(self.canvas, 1)
        box.addWidget(self.legend)

    # -- layout ------------------------------------------------------------

    def _load_topology(self, topology: Topology) -> None:
        self._topology = topology
        self.positions = None
        self._generation += 1
        generation = self._generation
        names = set(topology.ids)
        names.update(str(a["name"]) for a in topology.attrs if a.get("name"))
        self._completion.setStringList(sorted(names))
        self._symbols = [kind_symbol(str(a.get("kind", ""))) for a in topology.attrs]
        a = np.repeat(
            np.arange(len(topology), dtype=np.int64), [len(d) for d in topology.dependencies]
        )
        b = np.fromiter(
            (j for deps in topology.dependencies for j in deps), dtype=np.int64, count=a.size
        )
        if not topology.directed:
            keep = a < b
            a, b = a[keep], b[keep]
        self._edge_a, self._edge_b = a, b
        self._highlight = np.zeros(len(topology), dtype=bool)
        self.progress.setValue(0)
        self.progress.show()
        relay, cache = self._relay, self._layout_cache

        def report(fraction: float, stage: str) -> None:
            _emit(relay.sig_progress, generation, fraction, stage)

        def compute() -> None:
            try:
                result: object = layout(topology, cache_dir=cache, progress=report)
            except Exception as exc:  # shown to the operator, not swallowed
                result = exc
            _emit(relay.sig_done, generation, result)

        _layout_executor().submit(compute)

    def _on_layout_progress(self, generation: int, fraction: float, stage: str) -> None:
        if generation == self._generation:
            self.progress.setValue(round(fraction * 100))
            self.sig_layout_progress.emit(fraction, stage)

    def _on_layout_done(self, generation: int, result: object) -> None:
        if generation != self._generation or self._topology is None:
            return  # a newer topology replaced this one while it was laid out
        self.progress.hide()
        if not isinstance(result, np.ndarray):
            self.summary.setText(f"layout failed: {result}")
            return
        self.positions = result
        self._spacing = typical_spacing(result)
        self._edge_index = EdgeIndex(result, self._edge_a, self._edge_b)
        self._nodes.setData(
            pos=result,
            symbol=self._symbols,
            data=np.arange(len(result)),
        )
        self._draw_edges()
        self._reload_engine_state()
        self.fit()
        self.sig_layout_ready.emit()

    # -- engine state ------------------------------------------------------

    @property
    def engine(self) -> Engine:
        return self.bridge.engine

    def _on_engine_reset(self, engine: Engine) -> None:
        if engine.topology is not self._topology:
            self._status.clear()
            self._load_topology(engine.topology)
        elif self.positions is not None:
            self._reload_engine_state()

    def _reload_engine_state(self) -> None:
        engine = self.engine
        self._status = {}
        for alert in engine.active_alerts:
            node = alert.component
            if node is not None and engine.is_alerting(node):
                worst = self._status.get(node)
                if worst is None or alert.severity > worst:
                    self._status[node] = alert.severity
        self._refresh_domains()

    def _on_alerts_changed(self, added: list[str], updated: list[str], resolved: list[str]) -> None:
        engine = self.engine
        touched: set[int] = set()
        for fingerprint in (*added, *updated, *resolved):
            alert = engine.alerts.get(fingerprint)
            if alert is not None and alert.component is not None:
                touched.add(alert.component)
        if not touched:
            return
        for node in touched:  # only the nodes whose alerts changed are recomputed
            firing = engine.firing_on(node)
            if firing:
                self._status[node] = max(engine.alerts[fp].severity for fp in firing)
            else:
                self._status.pop(node, None)
        if self.positions is not None:
            self._draw_status()

    def _on_domains_changed(self, opened: list[str], changed: list[str], closed: list[str]) -> None:
        if self.positions is not None:
            self._refresh_domains()

    def _refresh_domains(self) -> None:
        """Domain overlays, silent candidates and the highlight follow the open domains."""
        self._domain_views = self._worst_domains()
        topology = self.engine.topology
        self._silent = set()
        for domain in self._domain_views:
            for cause in domain.root_causes:
                if not cause.alerting:
                    node = topology.index.get(cause.component)
                    if node is not None:
                        self._silent.add(node)
        self._draw_domains()
        self._update_highlight()

    def _worst_domains(self) -> list[DomainView]:
        """Views of the DOMAIN_OVERLAYS worst open domains, in the engine's order.

        Domains are grouped from the alerting nodes the canvas already knows;
        only the chosen ones are asked of the engine, because building a view
        (ranking, blast radius) for each of thousands of small domains in a
        large estate cost seconds and they would only get a halo anyway.
        """
        engine = self.engine
        groups: dict[str, list[int]] = {}
        for node in self._status:
            domain_id = engine.domain_of(node)
            if domain_id is not None:
                groups.setdefault(domain_id, []).append(node)
        self._domain_groups = groups
        status = self._status
        chosen = sorted(
            groups,
            key=lambda d: (-max(status[n] for n in groups[d]), -len(groups[d]), d),
        )[:DOMAIN_OVERLAYS]
        views = [v for v in (engine.domain(d) for d in chosen) if v is not None]
        views.sort(key=lambda v: (-v.severity, -v.size, v.first_seen, v.id))
        return views

    # -- selection ---------------------------------------------------------

    def _on_component_selected(self, component: object) -> None:
        if isinstance(component, str):
            self._focus = ("component", component)
        elif self._focus is not None and self._focus[0] == "component":
            domain = self.selection.domain
            self._focus = ("domain", domain) if domain else None
        self._update_highlight()

    def _on_domain_selected(self, domain: object) -> None:
        if isinstance(domain, str):
            self._focus = ("domain", domain)
        elif self._focus is not None and self._focus[0] == "domain":
            component = self.selection.component
            self._focus = ("component", component) if component else None
        self._update_highlight()

    def _update_highlight(self) -> None:
        """Highlight the focused blast radius, dim the rest, number the root causes."""
        if self._topology is None:
            return
        engine = self.engine
        topology = self._topology
        highlight = np.zeros(len(topology), dtype=bool)
        ranks: dict[int, int] = {}
        domain_id: str | None = None
        if self._focus is not None:
            kind, key = self._focus
            if kind == "domain":
                domain_id = key
                view = engine.domain(key)
                if view is not None:
                    highlight[[topology.index[m] for m in view.members]] = True
                    highlight[view.impact.nodes] = True
            else:
                node = topology.index.get(key)
                if node is not None:
                    highlight[blast_radius(topology, [node]).nodes] = True
                    domain_id = engine.domain_of(node)
        if domain_id is not None:
            view = engine.domain(domain_id)
            if view is not None:
                for rank, cause in enumerate(view.root_causes, start=1):
                    node = topology.index.get(cause.component)
                    if node is not None:
                        ranks[node] = rank
        self._highlight = highlight
        self._highlight_active = bool(highlight.any())
        self._ranks = ranks
        if self.positions is not None:
            self._draw_highlight()
            self._draw_status()
            self._draw_ranks()
            self._draw_selected()
            self._update_view_dependent()

    def highlighted_nodes(self) -> set[int]:
        """Node indices drawn as part of the highlighted blast radius."""
        return set(np.flatnonzero(self._highlight).tolist())

    def highlighted_edges(self) -> set[tuple[int, int]]:
        """(dependent, dependency) index pairs drawn highlighted."""
        mask = self._highlight[self._edge_a] & self._highlight[self._edge_b]
        return set(zip(self._edge_a[mask].tolist(), self._edge_b[mask].tolist(), strict=True))

    def root_cause_marks(self) -> dict[str, int]:
        """Component id -> rank number shown beside it."""
        assert self._topology is not None
        return {self._topology.ids[n]: r for n, r in self._ranks.items()}

    def node_color(self, node: int) -> QColor:
        """The fill the node is drawn with (severity when alerting, surface when not)."""
        severity = self._status.get(node)
        if severity is None:
            return self.theme.color("surface")
        return self.theme.severity_color(severity)

    def drawn_fills(self) -> dict[int, QColor]:
        """Node -> fill colour of the status overlay as drawn (alerting and silent nodes)."""
        data = self._alerting.data
        return {
            int(node): QColor(brush.color())
            for node, brush in zip(data["data"], data["brush"], strict=True)
        }

    def node_status(self, node: int) -> Severity | None:
        """Worst firing severity the canvas shows on the node (None: not alerting)."""
        return self._status.get(node)

    def domain_overlays(self) -> list[str]:
        """Ids of the failure domains drawn labelled on the canvas (worst DOMAIN_OVERLAYS)."""
        return [domain_id for _, domain_id in self._domain_items]

    def visible_labels(self) -> list[str]:
        """Names currently shown as labels."""
        return list(self._shown_names)

    # -- drawing -----------------------------------------------------------

    def _apply_theme(self) -> None:
        theme = self.theme
        self.canvas.setBackground(theme.color("background"))
        border = QPen(theme.color("border"))
        border.setCosmetic(True)
        border.setWidthF(1.2)
        self._nodes.setPen(border)
        self._nodes.setBrush(QBrush(theme.color("surface_alt")))
        edge = QPen(theme.color("edge"))
        edge.setCosmetic(True)
        edge.setWidthF(1.0)
        self._edges.setPen(edge)
        hl = QPen(theme.color("highlight"))
        hl.setCosmetic(True)
        hl.setWidthF(2.2)
        self._hl_edges.setPen(hl)
        hl_node = QPen(theme.color("highlight"))
        hl_node.setCosmetic(True)
        hl_node.setWidthF(2.5)
        self._hl_nodes.setPen(hl_node)
        self._hl_nodes.setBrush(QBrush(theme.color("surface_alt")))
        ring = QPen(theme.color("focus"))
        ring.setCosmetic(True)
        ring.setWidthF(3.0)
        self._selected.setPen(ring)
        self._selected.setBrush(QBrush(Qt.BrushStyle.NoBrush))
        self.summary.setFont(theme.font(0.9))
        self.legend.setFont(theme.font(0.8))
        if self.positions is not None:
            self._draw_edges()
            self._draw_highlight()
            self._draw_status()
            self._draw_domains()
            self._draw_ranks()
            for item in self._name_items:
                self.viewbox.removeItem(item)
            self._name_items = []
            self._update_view_dependent()

    def _draw_edges(self) -> None:
        index = self._edge_index
        if self.positions is None or index is None:
            return
        if len(index) <= EDGE_BUDGET:
            chosen = np.arange(len(index))
        else:
            (x0, x1), (y0, y1) = self.viewbox.viewRange()
            pixel = float(self.viewbox.viewPixelSize()[0])
            chosen = index.visible((x0, y0, x1, y1), pixel, EDGE_BUDGET)
        x, y = edge_segments(self.positions, index.a[chosen], index.b[chosen])
        self._edges.setData(x, y, connect="pairs", skipFiniteCheck=True)
        self._edges.setOpacity(0.35 if self._highlight_active else 1.0)

    def _draw_highlight(self) -> None:
        positions = self.positions
        if positions is None:
            return
        mask = self._highlight[self._edge_a] & self._highlight[self._edge_b]
        x, y = edge_segments(positions, self._edge_a[mask], self._edge_b[mask])
        self._hl_edges.setData(x, y, connect="pairs", skipFiniteCheck=True)
        nodes = np.flatnonzero(self._highlight)
        self._hl_nodes.setData(
            pos=positions[nodes], symbol=[self._symbols[i] for i in nodes.tolist()]
        )
        dim = self._highlight_active
        self._nodes.setOpacity(0.3 if dim else 1.0)
        self._edges.setOpacity(0.35 if dim else 1.0)

    def _draw_status(self) -> None:
        """Alerting nodes and silent candidates; dimmed outside an active highlight."""
        positions = self.positions
        if positions is None:
            return
        theme = self.theme
        outline = QPen(theme.color("text"))
        outline.setCosmetic(True)
        outline.setWidthF(2.5)
        silent_pen = QPen(theme.color("silent"))
        silent_pen.setCosmetic(True)
        silent_pen.setWidthF(2.5)
        silent_pen.setStyle(Qt.PenStyle.DashLine)
        nodes: list[int] = []
        brushes: list[QBrush] = []
        pens: list[QPen] = []
        badge_nodes: list[int] = []
        badge_symbols: list[str] = []
        badge_brushes: list[QBrush] = []
        dim = self._highlight_active
        for node, severity in sorted(self._status.items(), key=lambda kv: kv[1]):
            colour = theme.severity_color(severity)
            faded = dim and not self._highlight[node]
            if faded:
                colour.setAlpha(90)
            nodes.append(node)
            brushes.append(QBrush(colour))
            pens.append(outline)
            badge_nodes.append(node)
            badge_symbols.append(SEVERITY_SYMBOLS[severity] if severity > Severity.INFO else "o")
            badge_brushes.append(
                QBrush(Qt.BrushStyle.NoBrush) if severity <= Severity.INFO else QBrush(colour)
            )
        for node in sorted(self._silent - self._status.keys()):
            nodes.append(node)
            brushes.append(QBrush(theme.color("surface_alt")))
            pens.append(silent_pen)
        self._alerting.setData(
            pos=positions[nodes] if nodes else np.zeros((0, 2)),
            symbol=[self._symbols[i] for i in nodes],
            brush=brushes,
            pen=pens,
            data=np.array(nodes, dtype=np.int64),
        )
        self._badge_nodes = np.array(badge_nodes, dtype=np.int64)
        self._badge_style = {"symbol": badge_symbols, "brush": badge_brushes, "pen": outline}
        self._badges.setData(pos=self._badge_positions(), **self._badge_style)
        self._update_summary()

    def _badge_positions(self) -> FloatArray:
        """Badges sit up and right of their node, a fixed number of pixels away."""
        assert self.positions is not None
        sx, sy = (float(v) for v in self.viewbox.viewPixelSize())
        offset = np.array([sx, sy]) * ALERT_PX * 0.75
        return self.positions[self._badge_nodes] + offset

    def _draw_domains(self) -> None:
        """Each open domain: halos on its members, its links drawn bold, a label with its id.

        Members of one domain can sit far apart (a database low in the layers,
        the front ends that fail with it at the top), so a hull around them
        would cover half the estate: the hull is drawn only where it is
        compact (a rack of hosts, a cluster) and the members are tied together
        by drawing the domain's own dependency links in its severity colour.
        """
        positions = self.positions
        for old, _ in self._domain_items:
            for item in old:
                self.viewbox.removeItem(item)
        self._domain_items = []
        if positions is None:
            return
        engine = self.engine
        topology = engine.topology
        theme = self.theme
        halo_pos: list[FloatArray] = []
        halo_brushes: list[QBrush] = []
        pad = self._spacing * 0.55
        in_domain = np.zeros(len(topology), dtype=bool)
        domains = self._domain_views
        labelled = {d.id for d in domains}
        for domain_id, nodes in self._domain_groups.items():  # beyond the cap: halos only
            if domain_id not in labelled:
                halo = theme.severity_color(max(self._status[n] for n in nodes))
                halo.setAlpha(90)
                halo_pos.append(positions[nodes])
                halo_brushes.extend([QBrush(halo)] * len(nodes))
        for domain in reversed(domains):  # worst drawn last, on top
            members = [topology.index[m] for m in domain.members]
            links = [topology.index[c.component] for c in domain.root_causes if not c.alerting]
            points = positions[members]
            colour = theme.severity_color(domain.severity)
            items: list[QGraphicsItem] = []
            in_domain[:] = False
            in_domain[members] = True
            in_domain[links] = True
            mask = in_domain[self._edge_a] & in_domain[self._edge_b]
            if mask.any():
                x, y = edge_segments(positions, self._edge_a[mask], self._edge_b[mask])
                pen = QPen(colour)
                pen.setCosmetic(True)
                pen.setWidthF(3.0)
                skeleton = pg.PlotCurveItem(x, y, connect="pairs", pen=pen, skipFiniteCheck=True)
                skeleton.setZValue(12.5)
                items.append(skeleton)
            hull = padded_hull(points, pad)
            if self._compact(hull, len(members)):
                fill = QColor(colour)
                fill.setAlpha(30)
                edge = QPen(colour)
                edge.setCosmetic(True)
                edge.setWidthF(1.5)
                edge.setStyle(Qt.PenStyle.DashLine)
                shape = QGraphicsPathItem(polygon_path(hull))
                shape.setPen(edge)
                shape.setBrush(QBrush(fill))
                shape.setZValue(1)
                items.append(shape)
            halo = QColor(colour)
            halo.setAlpha(90)
            halo_pos.append(points)
            halo_brushes.extend([QBrush(halo)] * len(members))
            label = pg.TextItem(
                f"{domain.id} {SEVERITY_GLYPHS[domain.severity]} {domain.severity.label}",
                color=theme.severity_text_color(domain.severity),
                fill=QBrush(colour),
                anchor=(0.0, 1.0),
            )
            label.setFont(theme.font(0.85))
            top = points[int(np.argmax(points[:, 1]))]
            label.setPos(float(top[0]) + pad * 0.5, float(top[1]) + pad * 0.5)
            label.setZValue(40)
            items.append(label)
            for item in items:
                self.viewbox.addItem(item)
            self._domain_items.append((items, domain.id))
        if halo_pos:
            self._halos.setData(pos=np.concatenate(halo_pos), brush=halo_brushes)
        else:
            self._halos.setData(pos=np.zeros((0, 2)))
        self._update_summary()

    def _compact(self, hull: FloatArray, members: int) -> bool:
        """Whether members make up at least 40% of the nodes in the hull's bounding box."""
        assert self.positions is not None
        low, high = hull.min(axis=0), hull.max(axis=0)
        p = self.positions
        inside = int(
            np.count_nonzero(
                (p[:, 0] >= low[0])
                & (p[:, 0] <= high[0])
                & (p[:, 1] >= low[1])
                & (p[:, 1] <= high[1])
            )
        )
        return members >= 0.4 * max(inside, 1)

    def _draw_ranks(self) -> None:
        positions = self.positions
        for item in self._rank_items:
            self.viewbox.removeItem(item)
        self._rank_items = []
        if positions is None:
            return
        theme = self.theme
        for node, rank in sorted(self._ranks.items(), key=lambda kv: kv[1]):
            item = pg.TextItem(
                f"#{rank}",
                color=theme.color("accent_text"),
                fill=QBrush(theme.color("accent")),
                anchor=(1.15, 1.05),  # up-left: the name sits below, the badge up-right
            )
            item.setFont(theme.font(0.85))
            item.setPos(float(positions[node, 0]), float(positions[node, 1]))
            item.setZValue(45)
            self.viewbox.addItem(item)
            self._rank_items.append(item)

    def _draw_selected(self) -> None:
        positions = self.positions
        topology = self._topology
        component = self.selection.component
        node = topology.index.get(component) if topology and component else None
        if positions is None or node is None:
            self._selected.setData(pos=np.zeros((0, 2)))
            return
        self._selected.setData(pos=positions[[node]])

    def _update_summary(self) -> None:
        self.summary.setText(
            f"{len(self._status)} alerting · {len(self._domain_items)} domains"
            if self.positions is not None
            else ""
        )

    # -- level of detail ---------------------------------------------------

    def _schedule_view_update(self) -> None:
        if not self._view_timer.isActive():
            self._view_timer.start()

    def _update_view_dependent(self) -> None:
        """Edges culled for the view, names shown by zoom level (capped, nearest first)."""
        if self.positions is None:
            return
        if self._edge_index is not None and len(self._edge_index) > EDGE_BUDGET:
            self._draw_edges()
        if self._badge_nodes.size:
            self._badges.setData(pos=self._badge_positions(), **self._badge_style)
        self._update_labels()

    def spacing_px(self) -> float:
        """How far apart neighbouring nodes are on screen, in pixels (the zoom level)."""
        pixel = float(self.viewbox.viewPixelSize()[0])
        return self._spacing / pixel if pixel > 0 else 0.0

    def _update_labels(self) -> None:
        positions = self.positions
        topology = self._topology
        if positions is None or topology is None:
            return
        spacing = self.spacing_px()
        (x0, x1), (y0, y1) = self.viewbox.viewRange()
        candidates: np.ndarray
        if spacing >= NAMES_AT_PX:
            inside = (
                (positions[:, 0] >= x0)
                & (positions[:, 0] <= x1)
                & (positions[:, 1] >= y0)
                & (positions[:, 1] <= y1)
            )
            candidates = np.flatnonzero(inside)
        elif spacing >= ALERT_NAMES_AT_PX:
            wanted = sorted(set(self._status) | set(self._ranks) | self._silent)
            candidates = np.array(wanted, dtype=np.int64)
            if candidates.size:
                p = positions[candidates]
                keep = (p[:, 0] >= x0) & (p[:, 0] <= x1) & (p[:, 1] >= y0) & (p[:, 1] <= y1)
                candidates = candidates[keep]
        else:
            candidates = np.zeros(0, dtype=np.int64)
        order = self._label_priority(candidates, ((x0 + x1) / 2, (y0 + y1) / 2))
        theme = self.theme
        font = theme.font(0.8)
        metrics = QFontMetrics(font)
        sx, sy = (float(v) for v in self.viewbox.viewPixelSize())
        placed: list[tuple[float, float, float, float]] = []
        chosen: list[tuple[int, str]] = []
        height = metrics.height()
        for node in order:
            if len(chosen) >= LABEL_CAP:
                break
            name = str(topology.attrs[node].get("name") or topology.ids[node])
            width = metrics.horizontalAdvance(name) + 4
            # label box in screen pixels: centred under the node
            px, py = positions[node, 0] / sx, -positions[node, 1] / sy
            box = (px - width / 2, py + NODE_PX * 0.4, px + width / 2, py + NODE_PX * 0.4 + height)
            if any(
                box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed
            ):
                continue  # would overlap a label already shown: skipped, not cluttered
            placed.append(box)
            chosen.append((node, name))
        while len(self._name_items) < len(chosen):
            backdrop = theme.color("background")
            backdrop.setAlpha(170)
            item = pg.TextItem(color=theme.color("text"), fill=QBrush(backdrop), anchor=(0.5, -0.3))
            item.setFont(font)
            item.setZValue(35)
            self.viewbox.addItem(item)
            self._name_items.append(item)
        for item, (node, name) in zip(self._name_items, chosen, strict=False):
            item.setText(name)  # plain text: names come from untrusted files
            item.setPos(float(positions[node, 0]), float(positions[node, 1]))
            item.setVisible(True)
        for item in self._name_items[len(chosen) :]:
            item.setVisible(False)
        self._shown_names = [name for _, name in chosen]

    def _label_priority(self, candidates: IntArray, centre: tuple[float, float]) -> list[int]:
        """Rank-marked first, then alerting (worst first), silent, then nearest the centre."""
        assert self.positions is not None
        if not candidates.size:
            return []
        distance = np.hypot(
            self.positions[candidates, 0] - centre[0], self.positions[candidates, 1] - centre[1]
        )
        status, ranks, silent = self._status, self._ranks, self._silent

        def key(k: int) -> tuple[int, int, float]:
            node = int(candidates[k])
            if node in ranks:
                return (0, ranks[node], 0.0)
            if node in status:
                return (1, -int(status[node]), float(distance[k]))
            if node in silent:
                return (2, 0, float(distance[k]))
            return (3, 0, float(distance[k]))

        return [int(candidates[k]) for k in sorted(range(candidates.size), key=key)]

    # -- navigation --------------------------------------------------------

    def fit(self) -> None:
        """Show the whole topology."""
        if self.positions is None or not len(self.positions):
            return
        low = self.positions.min(axis=0) - self._spacing
        high = self.positions.max(axis=0) + self._spacing
        self.viewbox.setRange(QRectF(QPointF(*low), QPointF(*high)).normalized(), padding=0.02)

    def zoom(self, factor: float) -> None:
        """Zoom in (factor > 1) or out around the centre of the view."""
        self.viewbox.scaleBy((1 / factor, 1 / factor))

    def pan(self, dx: float, dy: float) -> None:
        """Pan by fractions of the visible width and height."""
        (x0, x1), (y0, y1) = self.viewbox.viewRange()
        self.viewbox.translateBy(x=(x1 - x0) * dx, y=(y1 - y0) * dy)

    def navigate(self, key: int, text: str = "") -> bool:
        """Keyboard navigation of the canvas; True when the key was used."""
        k = Qt.Key
        moves: dict[int, tuple[float, float]] = {
            k.Key_Left.value: (-0.1, 0.0),
            k.Key_Right.value: (0.1, 0.0),
            k.Key_Up.value: (0.0, 0.1),
            k.Key_Down.value: (0.0, -0.1),
        }
        key = int(key)
        if key in moves:
            self.pan(*moves[key])
        elif key in (k.Key_Plus.value, k.Key_Equal.value) or text == "+":
            self.zoom(1.25)
        elif key in (k.Key_Minus.value, k.Key_Underscore.value) or text == "-":
            self.zoom(1 / 1.25)
        elif key in (k.Key_F.value, k.Key_Home.value):
            self.fit()
        elif key == k.Key_Escape.value:
            self.selection.set_component(None)
        else:
            return False
        return True

    def focus_search(self) -> None:
        """Put the keyboard in the search box (Ctrl+F)."""
        self.search_box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_box.selectAll()

    def _on_search(self) -> None:
        topology = self._topology
        text = self.search_box.text().strip()
        if topology is None or not text:
            return
        node = topology.resolve(text)
        if node is None:
            folded = text.casefold()
            matches = [i for i, c in enumerate(topology.ids) if c.casefold().startswith(folded)]
            node = matches[0] if len(matches) == 1 else None
        if node is None:
            self.summary.setText(f"no component named {text!r}")
            return
        self.selection.focus(topology.ids[node])

    def focus_component(self, component: str) -> None:
        """Centre on a component, zoomed in far enough to read names, and select it."""
        topology = self._topology
        if topology is None:
            return
        node = topology.resolve(component)
        if node is None:
            return
        self.selection.set_component(topology.ids[node])
        if self.positions is None:
            return
        x, y = self.positions[node]
        half = self._spacing * 6  # close enough for every name in view
        self.viewbox.setRange(QRectF(x - half, y - half, 2 * half, 2 * half), padding=0)
        self._draw_selected()

    def _on_click(self, event: MouseClickEvent) -> None:
        positions = self.positions
        topology = self._topology
        if positions is None or topology is None or not len(positions):
            return
        if event.button() != Qt.MouseButton.LeftButton or event.double():
            return
        if not self.viewbox.sceneBoundingRect().contains(event.scenePos()):
            return
        point = self.viewbox.mapSceneToView(event.scenePos())
        distance = np.hypot(positions[:, 0] - point.x(), positions[:, 1] - point.y())
        nearest = int(np.argmin(distance))
        pixel = float(self.viewbox.viewPixelSize()[0])
        if distance[nearest] <= PICK_PX * pixel:
            self.selection.set_component(topology.ids[nearest])
        else:
            self.selection.set_component(None)
        self._draw_selected()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self._generation += 1  # a layout still running is dropped when it lands
        super().closeEvent(event)


def _emit(signal: object, *args: object) -> None:
    """Emit from a worker thread; the receiver may be gone if the view was closed."""
    with contextlib.suppress(RuntimeError):  # the relay was deleted with its view
        signal.emit(*args)  # type: ignore[attr-defined]
