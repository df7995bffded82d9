"""The topology canvas: what is broken, what it breaks, and where it started.

Drawn with a handful of pyqtgraph items whatever the estate's size
(DESIGN.md 5: one item per node managed 9 fps at 10k): one marker layer for
all nodes (shape by kind), one pairs-curve for edges (culled and thinned by
level of detail, DESIGN.md 7), and small overlays sized by the incident, not
the estate: alerting nodes (severity colour, larger, thick outline and a
severity badge), silent root-cause candidates (dashed outline), the
highlighted blast radius, domain halos and hulls, rank numbers and name
labels. Status therefore reads without colour too: size, outline, badge shape
and dash.

This module wires the parts together (`canvas_layers`, `canvas_domains`,
`canvas_labels`, `canvas_markers`, `canvas_geometry`). Views hold no engine
state: on a bridge signal the canvas reads what changed from `bridge.engine`.
Layout runs off the GUI thread (`core.graph.layout`, cached) and comes back
through a queued signal.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QStringListModel, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QColor
from PySide6.QtWidgets import (
    QCompleter,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from console.bridge import EngineBridge
from console.selection import Selection
from console.theme import Theme
from console.views.canvas_domains import DomainOverlays
from console.views.canvas_geometry import FloatArray, typical_spacing
from console.views.canvas_labels import (
    ALERT_NAMES_AT_PX,
    LABEL_CAP,
    NAMES_AT_PX,
    NameLabels,
    RankLabels,
)
from console.views.canvas_layers import (
    ALERT_PX,
    BADGE_PX,
    EDGE_BUDGET,
    NODE_PX,
    EstateLayers,
)
from console.views.canvas_layout import LayoutRelay, edge_arrays, node_symbols, start_layout
from console.views.canvas_navigation import PICK_PX, CanvasNavigation, NavigableCanvas
from console.views.canvas_state import (
    DOMAIN_OVERLAYS,
    focus_highlight,
    node_status,
    silent_candidates,
    update_status,
    worst_domains,
)
from core.engine import DomainView, Engine
from core.graph.topology import Topology
from core.model import Severity

__all__ = [
    "ALERT_NAMES_AT_PX",
    "ALERT_PX",
    "BADGE_PX",
    "DOMAIN_OVERLAYS",
    "EDGE_BUDGET",
    "LABEL_CAP",
    "LEGEND",
    "NAMES_AT_PX",
    "NODE_PX",
    "PICK_PX",
    "TopologyView",
]

DOMAIN_REBUILD_S = 0.008
"""Time a throttled refresh spends rebuilding domain views (the rest wait a refresh)."""
DOMAIN_HEAVY_S = 0.008
"""A refresh taking longer than this is expensive: the next one is throttled."""
DOMAIN_THROTTLE_MS = 250
"""After an expensive or incomplete refresh, the next waits this long."""

LEGEND = (
    "shape: ○ service  □ database  ⬠ cache/queue  ⬡ host  ◇ network  ▽ dns/ntp  ☆ edge   "
    "status: large + outlined = alerting, badge ▲ critical ◆ major ● warning ○ info;  "
    "dashed outline = silent root-cause candidate;  #n = root-cause rank"
)


class TopologyView(CanvasNavigation, QWidget):
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
        self._symbols: list[str] = []
        self._domain_views: list[DomainView] = []
        self._domain_groups: dict[str, list[int]] = {}

        self._relay = LayoutRelay(self)
        self._relay.sig_progress.connect(self._on_layout_progress)
        self._relay.sig_done.connect(self._on_layout_done)
        self._build_widgets()
        self._view_timer = QTimer(self)
        self._view_timer.setSingleShot(True)
        self._view_timer.setInterval(30)
        self._view_timer.timeout.connect(self._update_view_dependent)
        self._domains_pending = False
        self._domain_timer = QTimer(self)
        self._domain_timer.setSingleShot(True)
        self._domain_timer.timeout.connect(self._on_domain_timer)

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

        self.canvas = NavigableCanvas(self.navigate)
        self.viewbox = pg.ViewBox(lockAspect=True, enableMenu=False)
        self.viewbox.invertY(False)
        self.canvas.setCentralItem(self.viewbox)
        self.canvas.setAccessibleName("Topology canvas")
        self._layers = EstateLayers(self.viewbox)
        self._overlays = DomainOverlays(self.viewbox, self._layers.halos)
        self._names = NameLabels(self.viewbox)
        self._rank_labels = RankLabels(self.viewbox)
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

    @property
    def _domains(self) -> DomainOverlays:
        """The domain overlays, with any throttled refresh applied (read by tests)."""
        self.settle()
        return self._overlays

    @property
    def _alerting(self) -> pg.ScatterPlotItem:
        """The status overlay: alerting nodes and silent candidates (read by tests)."""
        self.settle()
        return self._layers.alerting

    # -- layout ------------------------------------------------------------

    def _load_topology(self, topology: Topology) -> None:
        self._topology = topology
        self.positions = None
        self._generation += 1
        generation = self._generation
        names = set(topology.ids)
        names.update(str(a["name"]) for a in topology.attrs if a.get("name"))
        self._completion.setStringList(sorted(names))
        self._symbols, self._shapes = node_symbols(topology)
        self._layers.set_edges(*edge_arrays(topology))
        self._highlight = np.zeros(len(topology), dtype=bool)
        self.progress.setValue(0)
        self.progress.show()
        start_layout(topology, self._relay, generation, self._layout_cache)

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
        self._layers.set_positions(result, self._shapes)
        self.fit()  # before drawing: edges are culled for the view
        self._reload_engine_state()
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
        self._status = node_status(self.engine)
        self._refresh_domains()
        self._draw_status()  # every node may have changed

    def _on_alerts_changed(self, added: list[str], updated: list[str], resolved: list[str]) -> None:
        changed = update_status(self.engine, self._status, [*added, *updated, *resolved])
        if changed and self.positions is not None:
            self._draw_status()

    def _on_domains_changed(self, opened: list[str], changed: list[str], closed: list[str]) -> None:
        if self.positions is None:
            return
        if self._domain_timer.isActive():
            self._domains_pending = True  # coalesced: the timer refreshes
        else:
            self._refresh_domains(throttled=True)

    def _on_domain_timer(self) -> None:
        if self._domains_pending and self.positions is not None:
            self._refresh_domains(throttled=True)

    def settle(self) -> None:
        """Apply a domain refresh that is waiting for its throttle slot now."""
        if self._domains_pending and self.positions is not None:
            self._domain_timer.stop()
            self._refresh_domains()

    def _refresh_domains(self, *, throttled: bool = False) -> None:
        """Domain overlays, silent candidates and the highlight follow the open domains.

        Throttled (a bridge flush), domain views are rebuilt within
        DOMAIN_REBUILD_S; the rest keep their previous view until the next
        refresh, and after an expensive or incomplete refresh the next one
        waits DOMAIN_THROTTLE_MS (flushes in between coalesce).
        """
        started = time.perf_counter()
        self._domains_pending = False
        self._domain_timer.stop()
        previous = {v.id: v for v in self._domain_views}
        deadline = started + DOMAIN_REBUILD_S if throttled else None
        self._domain_views, self._domain_groups, complete = worst_domains(
            self.engine, self._status, previous, deadline
        )
        silent = silent_candidates(self.engine.topology, self._domain_views)
        silent_changed = silent != self._silent
        self._silent = silent
        self._draw_domains()
        if self._focus is not None or self._highlight_active:
            self._update_highlight()
        else:  # nothing focused: only the silent candidates and names can change
            if silent_changed:
                self._draw_status()
            self._update_view_dependent()
        if not complete:
            self._domains_pending = True
        if throttled and (not complete or time.perf_counter() - started > DOMAIN_HEAVY_S):
            self._domain_timer.start(DOMAIN_THROTTLE_MS)

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
        highlight, ranks = focus_highlight(self.engine, self._topology, self._focus)
        self._highlight = highlight
        self._highlight_active = bool(highlight.any())
        self._ranks = ranks
        if self.positions is not None:
            self._layers.draw_highlight(highlight, self._highlight_active)
            self._draw_status()
            self._rank_labels.draw(self.theme, self.positions, ranks)
            self._draw_selected()
            self._update_view_dependent()

    def highlighted_nodes(self) -> set[int]:
        """Node indices drawn as part of the highlighted blast radius."""
        self.settle()
        return set(np.flatnonzero(self._highlight).tolist())

    def highlighted_edges(self) -> set[tuple[int, int]]:
        """(dependent, dependency) index pairs drawn highlighted."""
        self.settle()
        a, b = self._layers.edge_a, self._layers.edge_b
        mask = self._highlight[a] & self._highlight[b]
        return set(zip(a[mask].tolist(), b[mask].tolist(), strict=True))

    def root_cause_marks(self) -> dict[str, int]:
        """Component id -> rank number shown beside it."""
        self.settle()
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
        self.settle()
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
        self.settle()
        return list(self._overlays.ids)

    def visible_labels(self) -> list[str]:
        """Names currently shown as labels."""
        self.settle()
        return list(self._names.shown)

    # -- drawing -----------------------------------------------------------

    def _apply_theme(self) -> None:
        theme = self.theme
        self.canvas.setBackground(theme.color("background"))
        self._layers.apply_theme(theme)
        self.summary.setFont(theme.font(0.9))
        self.legend.setFont(theme.font(0.8))
        if self.positions is not None:
            self._layers.draw_highlight(self._highlight, self._highlight_active)
            self._draw_status()
            self._draw_domains()
            self._rank_labels.draw(theme, self.positions, self._ranks)
            self._names.reset()
            self._update_view_dependent()

    def _draw_status(self) -> None:
        self._layers.draw_status(
            self._status, self._silent, self._highlight, self._highlight_active, self._symbols
        )
        self._update_summary()

    def _draw_domains(self) -> None:
        if self.positions is None or self._topology is None:
            self._overlays.clear()
        else:
            self._overlays.draw(
                self.theme,
                self.engine.topology,
                self.positions,
                self._domain_views,
                self._domain_groups,
                self._status,
                self._spacing,
            )
        self._update_summary()

    def _draw_selected(self) -> None:
        topology = self._topology
        component = self.selection.component
        node = topology.index.get(component) if topology and component else None
        self._layers.draw_selected(node)

    def _update_summary(self) -> None:
        self.summary.setText(
            f"{len(self._status)} alerting · {len(self._overlays.ids)} domains"
            if self.positions is not None
            else ""
        )

    # -- level of detail ---------------------------------------------------

    def _schedule_view_update(self) -> None:
        if not self._view_timer.isActive():
            self._view_timer.start()

    def _update_view_dependent(self) -> None:
        """Edges culled for the view, names shown by zoom level (capped, nearest first)."""
        if self.positions is None or self._topology is None:
            return
        self._layers.draw_edges(self._highlight_active)
        self._layers.place_badges()
        self._names.update(
            self.theme,
            self._topology,
            self.positions,
            self.spacing_px(),
            self._status,
            self._ranks,
            self._silent,
        )

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self._generation += 1  # a layout still running is dropped when it lands
        super().closeEvent(event)
