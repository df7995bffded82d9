"""Markers for the whole estate, drawn as pixmap fragments from a tiny atlas.

pyqtgraph's ScatterPlotItem keeps per-spot Python objects and keys its symbol
atlas per spot (a pen and brush object each), which cost ~1 s to set 100k
nodes. Here every point is two small integers (shape, style) in numpy arrays;
the atlas holds one image per (shape, style) pair, and a paint maps positions
with numpy and hands Qt one `drawPixmapFragments` call for the points in the
exposed rectangle only (the device cache repaints just the newly exposed
strip while panning).

A layer can also be *sparse*: one point per node of the estate, most of them
hidden (style -1), changed a few indices at a time (`update_points`) so a
status overlay costs in proportion to the nodes that changed, not the estate.
Drawn points are painted in style order (a higher style index on top).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pyqtgraph as pg
from pyqtgraph.graphicsItems.ScatterPlotItem import renderSymbol
from pyqtgraph.Qt.internals import PrimitiveArray
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from console.views.canvas_geometry import FloatArray

SHAPES: tuple[str, ...] = ("o", "s", "p", "h", "d", "t", "star")
"""pyqtgraph symbol names; a marker's shape is its index in this tuple."""

SHAPE_CODE = {name: code for code, name in enumerate(SHAPES)}

Style = tuple[QPen | None, QBrush]


HIDDEN = -1
"""Style index of a point that is not drawn."""


class MarkerLayer(pg.GraphicsObject):
    """Fixed-pixel-size markers at data positions: one shape and one style per point."""

    def __init__(
        self,
        size: float,
        shapes: tuple[str, ...] = SHAPES,
        offset: tuple[float, float] = (0.0, 0.0),
    ) -> None:
        super().__init__()
        self._size = float(size)
        self._shapes = shapes
        self._offset = offset  # device pixels, right and up (a badge beside its node)
        self._styles: list[Style] = [(None, QBrush(Qt.BrushStyle.NoBrush))]
        self._pos: FloatArray = np.zeros((0, 2))
        self._shape: npt.NDArray[np.intp] = np.zeros(0, dtype=np.intp)
        self._style: npt.NDArray[np.intp] = np.zeros(0, dtype=np.intp)
        self._code: npt.NDArray[np.intp] = np.zeros(0, dtype=np.intp)
        self._drawn: npt.NDArray[np.intp] | None = None  # points to paint, in paint order
        self._atlas: QPixmap | None = None
        self._sources: FloatArray = np.zeros((0, 4))
        self._half = 0.0  # half the side of an atlas cell, device pixels
        self._dpr = 1.0
        self._fragments = PrimitiveArray(QPainter.PixmapFragment, 10)
        self._data_rect = QRectF()
        self._bounds: QRectF | None = None
        self._pixel = (0.0, 0.0)
        # exposedRect is exact only with this flag (the cache repaints strips)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)

    # -- data --------------------------------------------------------------

    def set_size(self, size: float) -> None:
        """Marker size in pixels (level of detail: smaller where nodes crowd together)."""
        if float(size) != self._size:
            self._size = float(size)
            self._atlas = None
            self.prepareGeometryChange()
            self._bounds = None
            self.update()

    @property
    def size(self) -> float:
        return self._size

    def set_styles(self, styles: Sequence[Style]) -> None:
        """Pens and brushes; a point's style is an index into this list."""
        self._styles = list(styles)
        self._recode()
        self._atlas = None
        self.update()

    def _recode(self) -> None:
        self._code = self._shape * len(self._styles) + np.maximum(self._style, 0)
        self._drawn = None

    def set_points(
        self,
        pos: FloatArray,
        shapes: npt.NDArray[np.intp] | int = 0,
        styles: npt.NDArray[np.intp] | int = 0,
    ) -> None:
        """Positions (n x 2), shape codes (index into SHAPES) and style indices."""
        pos = np.asarray(pos, dtype=np.float64).reshape(-1, 2)
        shape = np.empty(len(pos), dtype=np.intp)
        shape[:] = shapes
        style = np.empty(len(pos), dtype=np.intp)
        style[:] = styles
        self._pos = pos
        self._shape, self._style = shape, style
        self._recode()
        self.prepareGeometryChange()
        if len(pos):
            low, high = pos.min(axis=0), pos.max(axis=0)
            self._data_rect = QRectF(
                float(low[0]), float(low[1]), float(high[0] - low[0]), float(high[1] - low[1])
            )
        else:
            self._data_rect = QRectF()
        self._bounds = None
        self.update()

    def update_points(
        self,
        points: npt.NDArray[np.intp],
        styles: npt.NDArray[np.intp],
        shapes: npt.NDArray[np.intp] | None = None,
    ) -> None:
        """Restyle (and reshape) some points in place; style HIDDEN hides a point."""
        if not len(points):
            return
        self._style[points] = styles
        if shapes is not None:
            self._shape[points] = shapes
        self._code[points] = self._shape[points] * len(self._styles) + np.maximum(styles, 0)
        self._drawn = None
        self.update()

    @property
    def styles(self) -> npt.NDArray[np.intp]:
        """Style index per point (read-only view; HIDDEN: not drawn)."""
        view = self._style.view()
        view.flags.writeable = False
        return view

    @property
    def shapes(self) -> npt.NDArray[np.intp]:
        """Shape code per point (read-only view)."""
        view = self._shape.view()
        view.flags.writeable = False
        return view

    def style_of(self, index: int) -> Style:
        return self._styles[index]

    def drawn(self) -> npt.NDArray[np.intp]:
        """The points painted, in paint order (lowest style first, then by index)."""
        if self._drawn is None:
            shown = np.flatnonzero(self._style >= 0)
            if shown.size < self._style.size:
                shown = shown[np.argsort(self._style[shown], kind="stable")]
            elif len(self._styles) > 1:
                shown = np.argsort(self._style, kind="stable")
            self._drawn = shown
        return self._drawn

    def __len__(self) -> int:
        return int(self._pos.shape[0])

    # -- pyqtgraph / Qt geometry -------------------------------------------

    def dataBounds(  # noqa: N802 - pyqtgraph protocol (ViewBox auto-range)
        self,
        ax: int,
        frac: float = 1.0,
        orthoRange: object = None,  # noqa: N803
    ) -> tuple[float | None, float | None]:
        if not len(self._pos):
            return (None, None)
        column = self._pos[:, ax]
        return (float(column.min()), float(column.max()))

    def pixelPadding(self) -> float:  # noqa: N802 - pyqtgraph protocol
        return self._size * 0.5 + 2 + max(abs(self._offset[0]), abs(self._offset[1]))

    def viewTransformChanged(self) -> None:  # noqa: N802 - pyqtgraph hook
        # the padding is in pixels: only a zoom changes the bounds, a pan does not
        # (and leaving the geometry alone keeps the device cache while panning)
        pixel = self._pixel_size()
        if pixel != self._pixel:
            self.prepareGeometryChange()
            self._bounds = None
        super().viewTransformChanged()

    def _pixel_size(self) -> tuple[float, float]:
        px, py = self.pixelVectors()
        return (
            0.0 if px is None else float(px.length()),
            0.0 if py is None else float(py.length()),
        )

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        if self._bounds is None:
            if not len(self._pos):
                self._bounds = QRectF()
            else:
                self._pixel = self._pixel_size()
                pad = self.pixelPadding()
                dx, dy = self._pixel[0] * pad, self._pixel[1] * pad
                self._bounds = self._data_rect.adjusted(-dx, -dy, dx, dy)
        return self._bounds

    # -- painting ----------------------------------------------------------

    def _render_atlas(self) -> None:
        cells: list[QImage] = []
        for shape in self._shapes:
            for pen, brush in self._styles:
                cells.append(
                    renderSymbol(
                        shape, self._size, pen or QPen(Qt.PenStyle.NoPen), brush, dpr=self._dpr
                    )
                )
        side = max(image.width() for image in cells)
        atlas = QImage(side * len(cells), side, QImage.Format.Format_ARGB32_Premultiplied)
        atlas.fill(Qt.GlobalColor.transparent)
        painter = QPainter(atlas)
        for k, image in enumerate(cells):
            image.setDevicePixelRatio(1.0)
            painter.drawImage(k * side, 0, image)
        painter.end()
        self._atlas = QPixmap.fromImage(atlas)
        self._sources = np.array([(k * side, 0, side, side) for k in range(len(cells))], float)
        self._half = math.ceil(side / 2 / self._dpr) + 1

    def paint(
        self, p: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        drawn = self.drawn()
        if not drawn.size:
            return
        dpr = widget.devicePixelRatioF() if widget is not None else 1.0
        if self._atlas is None or dpr != self._dpr:
            self._dpr = dpr
            self._render_atlas()
        assert self._atlas is not None
        t = p.transform()
        exposed = t.mapRect(option.exposedRect)  # device pixels
        pos = self._pos if drawn.size == len(self._pos) and len(self._styles) == 1 else None
        if pos is None:
            pos = self._pos[drawn]
        dx, dy = self._offset
        x = pos[:, 0] * t.m11() + pos[:, 1] * t.m21() + (t.dx() + dx)
        y = pos[:, 0] * t.m12() + pos[:, 1] * t.m22() + (t.dy() - dy)
        h = self._half
        inside = np.flatnonzero(
            (x >= exposed.left() - h)
            & (x <= exposed.right() + h)
            & (y >= exposed.top() - h)
            & (y <= exposed.bottom() + h)
        )
        if not inside.size:
            return
        self._fragments.resize(inside.size)
        fragments = self._fragments.ndarray()
        fragments[:, 0] = x[inside]
        fragments[:, 1] = y[inside]
        fragments[:, 2:6] = self._sources[self._code[drawn[inside]]]
        fragments[:, 6:10] = (1 / dpr, 1 / dpr, 0.0, 1.0)
        p.resetTransform()
        first, count = self._fragments.drawargs()  # a pointer to the array, and its length
        p.drawPixmapFragments(first, count, self._atlas)
