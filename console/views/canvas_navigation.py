"""Moving around the canvas: fit, zoom, pan, keys, search, click to select.

A mixin for TopologyView, kept apart so the view reads as wiring; it needs
the view's viewbox, positions, topology, selection and search box.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from pyqtgraph.GraphicsScene.mouseEvents import MouseClickEvent
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLabel, QLineEdit

from console.selection import Selection
from console.views.canvas_geometry import FloatArray
from core.graph.topology import Topology

PICK_PX = 10.0
"""A click selects the nearest node within this many pixels."""


class NavigableCanvas(pg.GraphicsView):
    """The graphics view; keys go to the topology view's navigation first."""

    def __init__(self, navigate: Callable[[int, str], bool]) -> None:
        super().__init__()
        self._navigate = navigate
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def keyPressEvent(self, ev: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if not self._navigate(ev.key(), ev.text()):
            super().keyPressEvent(ev)


class CanvasNavigation:
    """Navigation and picking for the topology view (mixed into TopologyView)."""

    viewbox: pg.ViewBox
    positions: FloatArray | None
    selection: Selection
    search_box: QLineEdit
    summary: QLabel
    _topology: Topology | None
    _spacing: float

    def _draw_selected(self) -> None:
        raise NotImplementedError

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

    def spacing_px(self) -> float:
        """How far apart neighbouring nodes are on screen, in pixels (the zoom level)."""
        pixel = float(self.viewbox.viewPixelSize()[0])
        return self._spacing / pixel if pixel > 0 else 0.0
