"""Failure-domain overlays: halos on members, bold links, compact hulls and labels.

Sized by the incident, not the estate: halos for every open domain (one
marker layer), and for the worst `canvas_state.DOMAIN_OVERLAYS` domains the domain's own
dependency links in its severity colour (one curve per severity), a dashed
hull where the members sit together, and a label with the domain's id. The
items are kept and refilled on each change instead of rebuilt.
"""

from __future__ import annotations

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
        in_domain = np.zeros(len(topology), dtype=bool)
        dependencies = topology.dependencies
        for domain in reversed(domains):  # worst drawn last, on top
            members = [topology.index[m] for m in domain.members]
            silent = [topology.index[c.component] for c in domain.root_causes if not c.alerting]
            points = positions[members]
            in_domain[members] = True
            in_domain[silent] = True
            # the domain's own links: edges with both ends among members and silent causes
            pairs = links[domain.severity]
            for i in (*members, *silent):
                for j in dependencies[i]:
                    if in_domain[j]:
                        pairs.add((i, j) if topology.directed or i < j else (j, i))
            in_domain[members] = False
            in_domain[silent] = False
            hull = padded_hull(points, pad)
            if _compact(positions, hull, len(members)):
                hulls.append((hull, theme.severity_color(domain.severity)))
            halo_nodes.extend(members)
            halo_styles.extend([SEVERITIES.index(domain.severity)] * len(members))
            top = points[int(np.argmax(points[:, 1]))]
            labels.append(
                (domain.id, domain.severity, float(top[0]) + pad * 0.5, float(top[1]) + pad * 0.5)
            )
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
