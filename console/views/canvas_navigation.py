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
from PySide6.QtGui import QKeyEvent, QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import QLabel, QLineEdit

from console.selection import Selection
from console.views.canvas_geometry import FloatArray
from core.graph.topology import Topology

PICK_PX = 10.0
"""A click selects the nearest node within this many pixels."""


PREVIEW_ZOOM_IN = 2.0
"""A zoom preview is scaled up at most this much before it is rendered afresh."""
PREVIEW_COVER = 0.64
"""... and must cover at least this fraction of the view (zooming out uncovers the edges)."""


class NavigableCanvas(pg.GraphicsView):
    """The graphics view; keys go to the topology view's navigation first.

    While the zoom changes frame after frame, every cached estate layer would
    be rendered again at each step (40-100 ms at 100k nodes). Instead the
    canvas freezes what it showed at the first step and paints that image
    scaled to the view, as map viewers do, rendered afresh once the zoom
    rests (`end_preview`), when it has been scaled up more than
    PREVIEW_ZOOM_IN or covers less than PREVIEW_COVER of the view.
    """

    def __init__(self, navigate: Callable[[int, str], bool]) -> None:
        super().__init__()
        self._navigate = navigate
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._preview: QPixmap | None = None
        self._preview_rect = QRectF()  # view coordinates the preview shows
        self._preview_box: pg.ViewBox | None = None  # set: the next paint freezes a preview
        self._freeze = False

    @property
    def previewing(self) -> bool:
        return self._preview_box is not None

    def preview_zoom(self, viewbox: pg.ViewBox) -> None:
        """A zoom step: keep scaling the preview, or freeze a new one at the next paint."""
        if self._preview is not None and self._preview_fits(viewbox.viewRect()):
            return
        self._preview_box = viewbox
        self._freeze = True
        self.viewport().update()

    def end_preview(self) -> None:
        """The zoom rests: render the scene itself again."""
        if self._preview_box is not None:
            self._preview = None
            self._preview_box = None
            self._freeze = False
            self.viewport().update()

    def _render_preview(self, viewbox: pg.ViewBox) -> QPixmap:
        """The scene as the viewport shows it now, rendered into a pixmap."""
        viewport = self.viewport()
        ratio = viewport.devicePixelRatioF()
        pixmap = QPixmap(viewport.size() * ratio)
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(self.backgroundBrush().color())
        painter = QPainter(pixmap)
        self.render(painter, QRectF(pixmap.rect()) if ratio == 1 else QRectF(), viewport.rect())
        painter.end()
        return pixmap

    def _preview_fits(self, view: QRectF) -> bool:
        frozen = self._preview_rect
        if view.width() <= 0 or view.height() <= 0:
            return False
        if frozen.width() / view.width() > PREVIEW_ZOOM_IN:
            return False
        covered = frozen.intersected(view)
        area = covered.width() * covered.height()
        return area >= PREVIEW_COVER * view.width() * view.height()

    def paintEvent(self, ev: QPaintEvent) -> None:  # noqa: N802 - Qt override
        box = self._preview_box
        if box is None:
            super().paintEvent(ev)
            return
        if self._freeze or self._preview is None:
            self._freeze = False
            self._preview = self._render_preview(box)
            self._preview_rect = box.viewRect()
        target = box.mapViewToDevice(self._preview_rect)
        if target is None:
            super().paintEvent(ev)
            return
        preview = self._preview
        painter = QPainter(self.viewport())
        painter.fillRect(self.viewport().rect(), self.backgroundBrush())
        source = QRectF(0, 0, preview.width(), preview.height())
        painter.drawPixmap(target.boundingRect(), preview, source)
        painter.end()

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

    def _fill_completion(self) -> None:
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
        self._fill_completion()
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
