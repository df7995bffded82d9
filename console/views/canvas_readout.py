"""What the topology canvas shows, read back: highlight, marks, labels, time range.

A mixin for TopologyView, kept apart so the view reads as wiring: the
operator-facing facts the canvas draws (which nodes are highlighted, faded,
marked and with what), asked by tests and by anything scripting the console.
Every reader applies a pending domain refresh first (`settle`).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QBrush, QColor, QPen

from console.theme import Theme
from console.views.canvas_domains import DomainOverlays
from console.views.canvas_labels import NameLabels
from console.views.canvas_layers import EstateLayers
from console.views.canvas_time import AlertsInRange
from core.graph.topology import Topology
from core.model import Severity


class CanvasReadout:
    """Read-only accessors of what the canvas draws (mixed into TopologyView)."""

    theme: Theme
    _topology: Topology | None
    _highlight: np.ndarray
    _ranks: dict[int, int]
    _status: dict[int, Severity]
    _layers: EstateLayers
    _overlays: DomainOverlays
    _names: NameLabels
    _in_range: AlertsInRange

    def settle(self) -> None:
        raise NotImplementedError

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
        return {node: QColor(brush.color()) for node, (_, brush) in self.drawn_marks().items()}

    def drawn_marks(self) -> dict[int, tuple[QPen | None, QBrush]]:
        """Node -> (outline, fill) of its status mark as drawn (alerting and silent nodes)."""
        self.settle()
        layer = self._layers.alerting
        styles = layer.styles
        return {int(node): layer.style_of(int(styles[node])) for node in layer.drawn()}

    def status_arrays(self) -> dict[str, np.ndarray]:
        """Copies of the per-node status arrays the marks are drawn from (read by tests)."""
        self.settle()
        layers = self._layers
        return {
            "severity": layers.severity.copy(),
            "silent": layers.silent.copy(),
            "faded": layers.faded.copy(),
            "mark_style": np.array(layers.alerting.styles),
            "badge_style": np.array(layers.badges.styles),
            "badge_shape": np.array(layers.badges.shapes),
            "in_range_style": np.array(layers.in_range.styles),
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

    def nodes_in_time_range(self) -> set[int]:
        """Nodes drawn emphasized for the selected time range (empty: no range)."""
        if not self._in_range.active:
            return set()
        return set(np.flatnonzero(self._layers.in_range.styles >= 0).tolist())

    def faded_nodes(self) -> set[int]:
        """Nodes whose status marks are drawn faded."""
        return set(np.flatnonzero(self._layers.faded).tolist())
