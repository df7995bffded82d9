"""Failure-domain overlays: halos on members, bold links, compact hulls and labels.

Sized by the incident, not the estate: halos for every open domain (one
marker layer), and for the worst `canvas_state.DOMAIN_OVERLAYS` domains the domain's own
dependency links in its severity colour (one curve per severity), a dashed
hull where the members sit together, and a label with the domain's id. The
items are kept and refilled on each change instead of rebuilt.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QGraphicsPathItem

from console.theme import SEVERITY_GLYPHS, Theme
from console.views.canvas_geometry import FloatArray, edge_segments, padded_hull, polygon_path
from console.views.canvas_layers import SEVERITIES, cosmetic_pen
from console.views.canvas_markers import MarkerLayer
from core.engine import DomainView
from core.graph.topology import Topology
from core.model import Severity


class DomainOverlays:
    """Draws the open failure domains on the canvas's view box."""

    def __init__(self, viewbox: pg.ViewBox, halos: MarkerLayer) -> None:
        self.viewbox = viewbox
        self.halos = halos
        self.links: dict[Severity, pg.PlotCurveItem] = {}
        for severity in SEVERITIES:  # worst added last: drawn on top
            curve = pg.PlotCurveItem(connect="pairs", skipFiniteCheck=True)
            curve.setZValue(12.5)
            viewbox.addItem(curve)
            self.links[severity] = curve
        self._hulls: list[QGraphicsPathItem] = []
        self._labels: list[pg.TextItem] = []
        self.ids: list[str] = []
        """Ids of the labelled domains, worst first."""
        self._cache: dict[str, _Shape] = {}  # domain id -> shape drawn for its current view
        self._cache_key: tuple[Topology, FloatArray, float] | None = None

    def clear(self) -> None:
        for curve in self.links.values():
            curve.setData([], [])
        for item in (*self._hulls, *self._labels):
            item.setVisible(False)
        self.halos.set_points(np.zeros((0, 2)))
        self.ids = []

    def draw(
        self,
        theme: Theme,
        topology: Topology,
        positions: FloatArray,
        domains: list[DomainView],
        groups: dict[str, list[int]],
        status: dict[int, Severity],
        spacing: float,
    ) -> None:
        """Each open domain: halos on its members, its links drawn bold, a label with its id.

        Members of one domain can sit far apart (a database low in the layers,
        the front ends that fail with it at the top), so a hull around them
        would cover half the estate: the hull is drawn only where it is
        compact (a rack of hosts, a cluster) and the members are tied together
        by drawing the domain's own dependency links in its severity colour.
        """
        pad = spacing * 0.55
        halo_nodes: list[int] = []
        halo_styles: list[int] = []
        labelled = {d.id for d in domains}
        for domain_id, nodes in groups.items():  # beyond the cap: halos only
            if domain_id not in labelled:
                worst = max(status[n] for n in nodes)
                halo_nodes.extend(nodes)
                halo_styles.extend([SEVERITIES.index(worst)] * len(nodes))
        links: dict[Severity, set[tuple[int, int]]] = {s: set() for s in SEVERITIES}
        hulls: list[tuple[FloatArray, QColor]] = []
        labels: list[tuple[str, Severity, float, float]] = []
        key = self._cache_key
        if key is None or key[0] is not topology or key[1] is not positions or key[2] != spacing:
            self._cache.clear()
            self._cache_key = (topology, positions, spacing)
        cache: dict[str, _Shape] = {}
        for domain in reversed(domains):  # worst drawn last, on top
            shape = self._cache.get(domain.id)
            if shape is None or shape.view is not domain:
                shape = _shape(topology, positions, domain, pad)
            cache[domain.id] = shape
            links[domain.severity].update(shape.pairs)
            if shape.hull is not None:
                hulls.append((shape.hull, theme.severity_color(domain.severity)))
            halo_nodes.extend(shape.members)
            halo_styles.extend([SEVERITIES.index(domain.severity)] * len(shape.members))
            labels.append((domain.id, domain.severity, *shape.label_at))
        self._cache = cache  # shapes of domains no longer drawn are dropped
        for severity, curve in self.links.items():
            curve.setPen(cosmetic_pen(theme.severity_color(severity), 3.0))
            if pairs := links[severity]:
                ends = np.array(sorted(pairs), dtype=np.int64)
                curve.setData(*edge_segments(positions, ends[:, 0], ends[:, 1]))
            else:
                curve.setData([], [])
        self._draw_hulls(hulls)
        self._draw_labels(theme, labels)
        self.ids = [domain_id for domain_id, *_ in reversed(labels)]
        if halo_nodes:
            self.halos.set_points(positions[halo_nodes], 0, np.array(halo_styles, dtype=np.intp))
        else:
            self.halos.set_points(np.zeros((0, 2)))

    def label_texts(self) -> list[str]:
        """Texts of the domain labels shown, worst first."""
        shown = [label.toPlainText() for label in self._labels if label.isVisible()]
        return shown[::-1]

    def _draw_hulls(self, hulls: list[tuple[FloatArray, QColor]]) -> None:
        while len(self._hulls) < len(hulls):
            shape = QGraphicsPathItem()
            shape.setZValue(1)
            self.viewbox.addItem(shape)
            self._hulls.append(shape)
        for shape, (hull, colour) in zip(self._hulls, hulls, strict=False):
            fill = QColor(colour)
            fill.setAlpha(30)
            shape.setPath(polygon_path(hull))
            shape.setPen(cosmetic_pen(colour, 1.5, Qt.PenStyle.DashLine))
            shape.setBrush(QBrush(fill))
            shape.setVisible(True)
        for shape in self._hulls[len(hulls) :]:
            shape.setVisible(False)

    def _draw_labels(self, theme: Theme, labels: list[tuple[str, Severity, float, float]]) -> None:
        font = theme.font(0.85)
        while len(self._labels) < len(labels):
            label = pg.TextItem(anchor=(0.0, 1.0))
            label.setZValue(40)
            self.viewbox.addItem(label)
            self._labels.append(label)
        for z, (label, (domain_id, severity, x, y)) in enumerate(
            zip(self._labels, labels, strict=False)
        ):
            label.fill = QBrush(theme.severity_color(severity))
            label.setColor(theme.severity_text_color(severity))
            label.setFont(font)
            label.setText(f"{domain_id} {SEVERITY_GLYPHS[severity]} {severity.label}")
            label.setPos(x, y)
            label.setZValue(40 + z / 1000)  # worst on top, as when drawn last
            label.setVisible(True)
        for label in self._labels[len(labels) :]:
            label.setVisible(False)


@dataclass(frozen=True, slots=True)
class _Shape:
    """What one labelled domain adds to the overlays, kept while its view is current."""

    view: DomainView
    members: list[int]
    pairs: frozenset[tuple[int, int]]
    hull: FloatArray | None  # None: not compact, no hull drawn
    label_at: tuple[float, float]


def _shape(topology: Topology, positions: FloatArray, domain: DomainView, pad: float) -> _Shape:
    members = [topology.index[m] for m in domain.members]
    silent = [topology.index[c.component] for c in domain.root_causes if not c.alerting]
    points = positions[members]
    inside = set(members)
    inside.update(silent)
    # the domain's own links: edges with both ends among members and silent causes
    pairs: set[tuple[int, int]] = set()
    dependencies = topology.dependencies
    for i in (*members, *silent):
        for j in dependencies[i]:
            if j in inside:
                pairs.add((i, j) if topology.directed or i < j else (j, i))
    hull = padded_hull(points, pad)
    top = points[int(np.argmax(points[:, 1]))]
    return _Shape(
        view=domain,
        members=members,
        pairs=frozenset(pairs),
        hull=hull if _compact(positions, hull, len(members)) else None,
        label_at=(float(top[0]) + pad * 0.5, float(top[1]) + pad * 0.5),
    )


def _compact(positions: FloatArray, hull: FloatArray, members: int) -> bool:
    """Whether members make up at least 40% of the nodes in the hull's bounding box."""
    low, high = hull.min(axis=0), hull.max(axis=0)
    p = positions
    inside = int(
        np.count_nonzero(
            (p[:, 0] >= low[0]) & (p[:, 0] <= high[0]) & (p[:, 1] >= low[1]) & (p[:, 1] <= high[1])
        )
    )
    return members >= 0.4 * max(inside, 1)
