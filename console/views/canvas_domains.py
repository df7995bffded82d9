"""Failure-domain overlays: halos on members, bold links, compact hulls and labels.

Sized by the incident, not the estate: halos for every open domain (one
marker layer), and for the worst `canvas_state.DOMAIN_OVERLAYS` domains the domain's own
dependency links in its severity colour (one curve per severity), a dashed
hull where the members sit together, and a label with the domain's id. The
items are kept and refilled on each change instead of rebuilt.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QPainterPath
from PySide6.QtWidgets import QGraphicsPathItem

from console.theme import SEVERITY_GLYPHS, Theme
from console.views.canvas_geometry import FloatArray, edge_segments, padded_hull, polygon_path
from console.views.canvas_layers import SEVERITIES, cosmetic_pen
from console.views.canvas_markers import MarkerLayer
from console.views.canvas_text import Label, TextLayer
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
        self._labels = TextLayer()
        self._labels.setZValue(40)
        viewbox.addItem(self._labels)
        self.ids: list[str] = []
        """Ids of the labelled domains, worst first."""
        self._cache: dict[str, _Shape] = {}  # domain id -> shape drawn for its current view
        self._cache_key: tuple[Topology, FloatArray, float] | None = None
        self._columns: NodeColumns | None = None
        self._drawn_links: dict[Severity, tuple[frozenset[tuple[int, int]], int, FloatArray]] = {}
        self._drawn_halos: tuple[list[int], list[int], FloatArray] | None = None
        self._drawn_hulls: list[tuple[QPainterPath, int]] = []

    def clear(self) -> None:
        for curve in self.links.values():
            curve.setData([], [])
        for item in self._hulls:
            item.setVisible(False)
        self._labels.clear()
        self.halos.set_points(np.zeros((0, 2)))
        self._drawn_links.clear()
        self._drawn_halos = None
        self._drawn_hulls = []
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
        deadline: float | None = None,
    ) -> bool:
        """Each open domain: halos on its members, its links drawn bold, a label with its id.

        Shapes (links, hull) are kept per open domain until its members change.
        Past `deadline` (`time.perf_counter`) no new shape is made: such a
        domain is drawn with halos only this time, and False is returned
        (call again to complete).

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
        hulls: list[tuple[QPainterPath, QColor]] = []
        labels: list[tuple[str, Severity, float, float]] = []
        key = self._cache_key
        if key is None or key[0] is not topology or key[1] is not positions or key[2] != spacing:
            self._cache.clear()
            self._cache_key = (topology, positions, spacing)
            self._columns = None
        cache = self._cache
        complete = True
        for domain_id in [d for d in cache if d not in groups]:
            del cache[domain_id]  # closed (or no longer alerting): its shape goes
        for domain in reversed(domains):  # worst drawn last, on top
            shape = cache.get(domain.id)
            if shape is None or (shape.view is not domain and shape.key != _shape_key(domain)):
                if deadline is not None and time.perf_counter() > deadline:
                    complete = False
                    halo_nodes.extend(groups.get(domain.id, ()))
                    halo_styles.extend(
                        [SEVERITIES.index(domain.severity)] * len(groups.get(domain.id, ()))
                    )
                    continue
                if self._columns is None:
                    self._columns = NodeColumns(positions)
                shape = _shape(topology, positions, self._columns, domain, pad)
                cache[domain.id] = shape
            links[domain.severity].update(shape.pairs)
            if shape.hull is not None:
                hulls.append((shape.hull, theme.severity_color(domain.severity)))
            halo_nodes.extend(shape.members)
            halo_styles.extend([SEVERITIES.index(domain.severity)] * len(shape.members))
            labels.append((domain.id, domain.severity, *shape.label_at))
        # only what changed is handed to Qt (a refresh mostly repeats the last one)
        for severity, curve in self.links.items():
            colour = theme.severity_color(severity).rgba()
            pairs = frozenset(links[severity])
            last = self._drawn_links.get(severity)
            if last is not None and last[2] is positions and last[:2] == (pairs, colour):
                continue
            self._drawn_links[severity] = (pairs, colour, positions)
            curve.setPen(cosmetic_pen(QColor.fromRgba(colour), 3.0))
            if pairs:
                ends = np.array(sorted(pairs), dtype=np.int64)
                curve.setData(*edge_segments(positions, ends[:, 0], ends[:, 1]))
            else:
                curve.setData([], [])
        self._draw_hulls(hulls)
        self._draw_labels(theme, labels)
        self.ids = [domain_id for domain_id, *_ in reversed(labels)]
        last_halos = self._drawn_halos
        if (
            last_halos is None
            or last_halos[2] is not positions
            or last_halos[:2] != (halo_nodes, halo_styles)
        ):
            self._drawn_halos = (halo_nodes, halo_styles, positions)
            if halo_nodes:
                styles = np.array(halo_styles, dtype=np.intp)
                self.halos.set_points(positions[halo_nodes], 0, styles)
            else:
                self.halos.set_points(np.zeros((0, 2)))
        return complete

    def label_texts(self) -> list[str]:
        """Texts of the domain labels shown, worst first."""
        return self._labels.texts[::-1]

    def _draw_hulls(self, hulls: list[tuple[QPainterPath, QColor]]) -> None:
        while len(self._hulls) < len(hulls):
            shape = QGraphicsPathItem()
            shape.setZValue(1)
            self.viewbox.addItem(shape)
            self._hulls.append(shape)
        drawn = self._drawn_hulls
        for k, (shape, (path, colour)) in enumerate(zip(self._hulls, hulls, strict=False)):
            look = (path, colour.rgba())
            if k < len(drawn) and drawn[k][0] is path and drawn[k][1] == look[1]:
                continue  # this slot already shows this hull
            fill = QColor(colour)
            fill.setAlpha(30)
            shape.setPath(path)
            shape.setPen(cosmetic_pen(colour, 1.5, Qt.PenStyle.DashLine))
            shape.setBrush(QBrush(fill))
            shape.setVisible(True)
        self._drawn_hulls = [(path, colour.rgba()) for path, colour in hulls]
        for shape in self._hulls[len(hulls) :]:
            shape.setVisible(False)

    def _draw_labels(self, theme: Theme, labels: list[tuple[str, Severity, float, float]]) -> None:
        # drawn in order: the worst, last, on top
        self._labels.set_labels(
            [
                Label(
                    x,
                    y,
                    f"{domain_id} {SEVERITY_GLYPHS[severity]} {severity.label}",
                    theme.severity_text_color(severity),
                    theme.severity_color(severity),
                    (0.0, 1.0),
                )
                for domain_id, severity, x, y in labels
            ],
            theme.font(0.85),
        )


@dataclass(frozen=True, slots=True)
class _Shape:
    """What one labelled domain adds to the overlays, kept while its view is current."""

    view: DomainView
    key: tuple[tuple[str, ...], tuple[str, ...]]  # what the shape depends on (see _shape_key)
    members: list[int]
    pairs: frozenset[tuple[int, int]]
    hull: QPainterPath | None  # None: not compact, no hull drawn
    label_at: tuple[float, float]


class NodeColumns:
    """Node positions sorted by x, to count the nodes in a box without scanning them all."""

    def __init__(self, positions: FloatArray) -> None:
        order = np.argsort(positions[:, 0])
        self.x = positions[order, 0]
        self.y = positions[order, 1]

    def count_in_box(self, low: FloatArray, high: FloatArray) -> int:
        first = int(np.searchsorted(self.x, low[0], side="left"))
        last = int(np.searchsorted(self.x, high[0], side="right"))
        y = self.y[first:last]
        return int(np.count_nonzero((y >= low[1]) & (y <= high[1])))


def _shape(
    topology: Topology,
    positions: FloatArray,
    columns: NodeColumns,
    domain: DomainView,
    pad: float,
) -> _Shape:
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
        key=_shape_key(domain),
        members=members,
        pairs=frozenset(pairs),
        hull=polygon_path(hull) if _compact(columns, hull, len(members)) else None,
        label_at=(float(top[0]) + pad * 0.5, float(top[1]) + pad * 0.5),
    )


def _shape_key(domain: DomainView) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A domain's shape depends on its members and silent causes only (not scores, impact)."""
    silent = tuple(c.component for c in domain.root_causes if not c.alerting)
    return tuple(domain.members), silent


def _compact(columns: NodeColumns, hull: FloatArray, members: int) -> bool:
    """Whether members make up at least 40% of the nodes in the hull's bounding box."""
    inside = columns.count_in_box(hull.min(axis=0), hull.max(axis=0))
    return members >= 0.4 * max(inside, 1)
