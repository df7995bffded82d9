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
from PySide6.QtCore import QEvent, QObject, QStringListModel, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
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
from console.views.canvas_geometry import EdgeIndex, FloatArray, typical_spacing
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
from console.views.canvas_layout import LayoutRelay, edge_arrays, node_shapes, start_layout
from console.views.canvas_navigation import PICK_PX, CanvasNavigation, NavigableCanvas
from console.views.canvas_readout import CanvasReadout
from console.views.canvas_state import (
    DOMAIN_OVERLAYS,
    focus_highlight,
    node_status,
    silent_candidates,
    update_status,
    worst_domains,
)
from console.views.canvas_time import AlertsInRange
from console.widgets.steady import SteadyLabel
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

DOMAIN_REBUILD_S = 0.004
"""Time a throttled refresh spends rebuilding domain views (the rest wait a refresh)."""
SHAPES_S = 0.003
"""Time a throttled refresh spends on new domain shapes (links, hulls; the rest wait)."""
DOMAIN_HEAVY_S = 0.008
"""A refresh taking longer than this is expensive: the next one is throttled."""
DOMAIN_THROTTLE_MS = 250
"""After an expensive or incomplete refresh, the next waits this long."""
ZOOM_REST_MS = 150
"""A zoom is over when the scale has not changed for this long (the preview ends)."""

LEGEND = (
    "shape: ○ service  □ database  ⬠ cache/queue  ⬡ host  ◇ network  ▽ dns/ntp  ☆ edge   "
    "status: large + outlined = alerting, badge ▲ critical ◆ major ● warning ○ info;  "
    "dashed outline = silent root-cause candidate;  #n = root-cause rank;  "
    "time range selected: nodes with alerts in it outlined, the rest faded"
)


class TopologyView(CanvasNavigation, CanvasReadout, QWidget):
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
        if selection.component:  # a canvas opened while something is selected shows it
            self._focus = ("component", selection.component)
        elif selection.domain:
            self._focus = ("domain", selection.domain)
        self._shapes: np.ndarray = np.zeros(0, dtype=np.int64)
        self._domain_views: list[DomainView] = []
        self._domain_groups: dict[str, list[int]] = {}
        self._in_range = AlertsInRange()  # nodes with alerts in the selected time range

        self._relay = LayoutRelay(self)
        self._relay.sig_progress.connect(self._on_layout_progress)
        self._relay.sig_done.connect(self._on_layout_done)
        self._relay.sig_edges.connect(self._on_edges_ready)
        self._build_widgets()
        self._view_timer = QTimer(self)
        self._view_timer.setSingleShot(True)
        self._view_timer.setInterval(30)
        self._view_timer.timeout.connect(self._update_view_dependent)
        self._domains_pending = False
        self._settle_after_paint = False  # domain views left for after the first frame
        self._domain_timer = QTimer(self)
        self._domain_timer.setSingleShot(True)
        self._domain_timer.timeout.connect(self._on_domain_timer)
        self._view_pixel: tuple[float, ...] = ()
        self._zoom_timer = QTimer(self)
        self._zoom_timer.setSingleShot(True)
        self._zoom_timer.setInterval(ZOOM_REST_MS)
        self._zoom_timer.timeout.connect(self._on_zoom_rested)

        bridge.sig_engine_reset.connect(self._on_engine_reset)
        bridge.sig_alerts_changed.connect(self._on_alerts_changed)
        bridge.sig_domains_changed.connect(self._on_domains_changed)
        bridge.views.sig_ready.connect(self._on_views_ready)
        selection.sig_component_changed.connect(self._on_component_selected)
        selection.sig_domain_changed.connect(self._on_domain_selected)
        selection.sig_focus_requested.connect(self.focus_component)
        selection.sig_time_range_changed.connect(self._on_time_range)
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
        # Steady: the summary changes with every engine frame while playing.
        self.summary = SteadyLabel(self, samples=("00,000 alerting · 0,000 domains",))
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
        self.canvas.viewport().installEventFilter(self)

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

    # -- layout ------------------------------------------------------------

    def _load_topology(self, topology: Topology) -> None:
        self._topology = topology
        self.positions = None
        self._generation += 1
        generation = self._generation
        self._completion_stale = True  # filled after the first frame (or on search)
        self._completion.setStringList([])
        self._shapes = node_shapes(topology)
        edges = edge_arrays(topology)
        self._layers.set_edges(*edges)
        self._highlight = np.zeros(len(topology), dtype=bool)
        self.progress.setValue(0)
        self.progress.show()
        culled = edges if self._layers.needs_edge_index else None
        start_layout(topology, self._relay, generation, self._layout_cache, culled)

    def _fill_completion(self) -> None:
        """Ids and names offered by the search box (100k names: after the first frame)."""
        topology = self._topology
        if not self._completion_stale or topology is None:
            return
        self._completion_stale = False
        names = set(topology.ids)
        names.update(str(a["name"]) for a in topology.attrs if a.get("name"))
        self._completion.setStringList(sorted(names))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """After the canvas's first paint with positions, do what the first frame could skip."""
        if (
            event.type() == QEvent.Type.Paint
            and (self._completion_stale or self._settle_after_paint)
            and self.positions is not None
        ):
            QTimer.singleShot(0, self._after_first_paint)
        return False

    def _after_first_paint(self) -> None:
        self._fill_completion()
        if self._settle_after_paint:
            self._settle_after_paint = False
            self.settle()

    def is_complete(self) -> bool:
        """Everything is in place: positions, culled edges, search names, domain overlays."""
        layers = self._layers
        edges = not layers.needs_edge_index or layers.edge_index is not None
        return (
            self.positions is not None
            and edges
            and not self._completion_stale
            and not self._domains_pending
        )

    def _on_edges_ready(self, generation: int, index: object) -> None:
        if generation != self._generation or self.positions is None:
            return
        assert isinstance(index, EdgeIndex)
        self._layers.set_edge_index(index)
        self._layers.draw_edges(self._dimmed)

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
        self._in_range.set_range(self.engine, self.selection.time_range)
        # the first frame shows status and domain halos; the domain views (ranking,
        # blast radius: seconds for a large estate), hulls, links and labels come
        # right after it (`_after_first_paint`, or `settle`)
        _, self._domain_groups, _ = worst_domains(self.engine, self._status, {}, 0.0)
        self._domain_views = []
        self._silent = set()
        self._layers.set_silent(self._silent)
        self._draw_domains()
        self._domains_pending = True
        self._settle_after_paint = True
        self._draw_status()  # every node may have changed

    def _on_alerts_changed(self, added: list[str], updated: list[str], resolved: list[str]) -> None:
        """Restyle only the nodes whose alerts changed (a flush costs what it changed)."""
        fingerprints = [*added, *updated, *resolved]
        touched = update_status(self.engine, self._status, fingerprints)
        if self.positions is None:
            return
        if touched:
            nodes = np.fromiter(touched, dtype=np.int64, count=len(touched))
            status = self._status
            severities = np.fromiter(
                (status.get(n, 0) for n in touched), dtype=np.int8, count=len(touched)
            )
            self._layers.set_status(nodes, severities)
        if self._in_range.active:
            nodes = self._in_range.update(self.engine, fingerprints)
            if nodes.size:
                in_range = self._in_range.mask()
                self._layers.set_in_range(in_range, nodes)
                self._layers.set_faded(self._faded_mask(), nodes)
        if touched:
            self._update_summary()

    def _on_domains_changed(self, opened: list[str], changed: list[str], closed: list[str]) -> None:
        if self.positions is None:
            return
        if self._domain_timer.isActive():
            self._domains_pending = True  # coalesced: the timer refreshes
        else:
            self._refresh_domains(throttled=True)

    def _on_views_ready(self, domain_ids: list[str]) -> None:
        """A large domain's view was built off the GUI thread: redraw if the canvas shows it."""
        if self.positions is None or not any(d in self._domain_groups for d in domain_ids):
            return
        self._on_domains_changed([], domain_ids, [])

    def _on_domain_timer(self) -> None:
        if self._domains_pending and self.positions is not None:
            self._refresh_domains(throttled=True)

    def settle(self) -> None:
        """Apply a domain refresh that is waiting for its throttle slot now."""
        if self._domains_pending and self.positions is not None:
            self._domain_timer.stop()
            self._refresh_domains()

    def _refresh_domains(
        self, *, throttled: bool = False, budget: float = DOMAIN_REBUILD_S
    ) -> None:
        """Domain overlays, silent candidates and the highlight follow the open domains.

        Throttled (a bridge flush), domain views are rebuilt within `budget`
        seconds; the rest keep their previous view until the next
        refresh, and after an expensive or incomplete refresh the next one
        waits DOMAIN_THROTTLE_MS (flushes in between coalesce).
        """
        started = time.perf_counter()
        self._domains_pending = False
        self._domain_timer.stop()
        previous = {v.id: v for v in self._domain_views}
        deadline = started + budget if throttled else None
        self._domain_views, self._domain_groups, complete = worst_domains(
            self.engine, self._status, previous, deadline, self.bridge.views
        )
        silent = silent_candidates(self.engine.topology, self._domain_views)
        if silent != self._silent:
            self._silent = silent
            self._layers.set_silent(silent)
        shapes_deadline = None if deadline is None else time.perf_counter() + SHAPES_S
        complete = self._draw_domains(shapes_deadline) and complete
        if self._focus is not None or self._highlight_active:
            self._update_highlight()
        else:  # nothing focused: only the silent candidates and names can change
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
        unchanged = ranks == self._ranks and np.array_equal(highlight, self._highlight)
        self._highlight = highlight
        self._highlight_active = bool(highlight.any())
        self._ranks = ranks
        if self.positions is None:
            return
        if not unchanged:  # a domain refresh mostly leaves the focused radius as it was
            self._layers.draw_highlight(highlight, self._dimmed)
            self._layers.set_faded(self._faded_mask())
            self._rank_labels.draw(self.theme, self.positions, ranks)
        self._draw_selected()
        self._update_view_dependent()

    @property
    def _dimmed(self) -> bool:
        """Whether part of the estate is emphasized (focus, time range), the rest dimmed."""
        return self._highlight_active or self._in_range.active

    def _faded_mask(self) -> np.ndarray:
        """Nodes drawn faded: outside the focused blast radius or without alerts in the range."""
        faded = np.zeros(len(self._highlight), dtype=bool)
        if self._highlight_active:
            faded |= ~self._highlight
        if self._in_range.active and self._in_range.counts.size == faded.size:
            faded |= ~self._in_range.mask()
        return faded

    # -- time range --------------------------------------------------------

    def _on_time_range(self, time_range: object) -> None:
        """Emphasize the nodes with alerts in the trends view's range, dim the rest."""
        if self._topology is None:
            return
        chosen = time_range if isinstance(time_range, tuple) else None
        self._in_range.set_range(self.engine, chosen)
        if self.positions is None:
            return
        self._layers.draw_highlight(self._highlight, self._dimmed)
        self._layers.set_in_range(self._in_range.mask() if chosen else None)
        self._layers.set_faded(self._faded_mask())
        self._update_summary()
        self._update_view_dependent()

    # -- drawing -----------------------------------------------------------

    def _apply_theme(self) -> None:
        theme = self.theme
        self.canvas.setBackground(theme.color("background"))
        self._layers.apply_theme(theme)
        self.summary.setFont(theme.font(0.9))
        self.legend.setFont(theme.font(0.8))
        if self.positions is not None:
            self._draw_status()
            self._draw_domains()
            self._rank_labels.draw(theme, self.positions, self._ranks)
            self._names.reset()
            self._update_view_dependent()

    def _draw_status(self) -> None:
        """Every node's status marks from the engine's state (a reload, a new theme)."""
        layers = self._layers
        if self._topology is None or layers.positions is None:
            return
        severity = np.zeros(len(self._topology), dtype=np.int8)
        if self._status:
            nodes = np.fromiter(self._status, dtype=np.intp, count=len(self._status))
            severity[nodes] = np.fromiter(
                self._status.values(), dtype=np.int8, count=len(self._status)
            )
        changed = np.flatnonzero(layers.severity != severity)
        layers.set_status(changed, severity[changed])
        layers.set_silent(self._silent)
        layers.draw_highlight(self._highlight, self._dimmed)
        layers.set_in_range(self._in_range.mask() if self._in_range.active else None)
        layers.set_faded(self._faded_mask())
        self._update_summary()

    def _draw_domains(self, deadline: float | None = None) -> bool:
        """Domain overlays from the current views; False: shapes left for a later call."""
        drawn = True
        if self.positions is None or self._topology is None:
            self._overlays.clear()
        else:
            drawn = self._overlays.draw(
                self.theme,
                self.engine.topology,
                self.positions,
                self._domain_views,
                self._domain_groups,
                self._status,
                self._spacing,
                deadline,
            )
        self._update_summary()
        return drawn

    def _draw_selected(self) -> None:
        topology = self._topology
        component = self.selection.component
        node = topology.index.get(component) if topology and component else None
        self._layers.draw_selected(node)

    def _update_summary(self) -> None:
        if self.positions is None:
            self.summary.setText("")
            return
        text = f"{len(self._status)} alerting · {len(self._overlays.ids)} domains"
        if self._in_range.active:
            text += f" · {int(np.count_nonzero(self._in_range.counts))} with alerts in range"
        self.summary.setText(text)

    # -- level of detail ---------------------------------------------------

    def _schedule_view_update(self) -> None:
        pixel = tuple(float(v) for v in self.viewbox.viewPixelSize())
        if pixel != self._view_pixel:  # a zoom
            self._view_pixel = pixel
            # a step soon after another (a continuous zoom) shows a scaled preview
            # until the zoom rests; a one-off jump (fit, focus, one key) renders
            if self._zoom_timer.isActive() and self.positions is not None and self.isVisible():
                self.canvas.preview_zoom(self.viewbox)
            self._zoom_timer.start()
        if not self._view_timer.isActive():
            self._view_timer.start()

    def _on_zoom_rested(self) -> None:
        self.canvas.end_preview()

    def _update_view_dependent(self) -> None:
        """Edges culled for the view, names shown by zoom level (capped, nearest first)."""
        if self.positions is None or self._topology is None:
            return
        self._layers.draw_edges(self._dimmed)
        self._layers.adapt_to_view(self.spacing_px())
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
