"""Text on the canvas drawn by one item per kind of label, not one item per label.

A pyqtgraph TextItem per label recomputes its own transform on every view
change (150 names cost ~4 ms a pan or zoom step before anything was painted);
here a layer keeps its labels as plain data and paints them all in one call,
mapping their anchor points with the painter's transform. Text is always
plain (`Qt.TextFormat.PlainText`): names and ids come from untrusted files.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QStaticText
from PySide6.QtWidgets import QStyleOptionGraphicsItem, QWidget

PAD_PX = 2.0
"""Space between a label's text and the edge of its backdrop."""


@dataclass(frozen=True, slots=True)
class Label:
    """One label: where (data coordinates), what, and how."""

    x: float
    y: float
    text: str
    colour: QColor
    fill: QColor | None = None
    anchor: tuple[float, float] = (0.5, 0.0)
    """Point of the label's box placed at (x, y), as fractions of its width and height
    (pg.TextItem's convention: (0.5, -0.3) centres the box a little below the point)."""


class TextLayer(pg.GraphicsObject):
    """Labels at data positions, a fixed size in pixels, painted in one pass."""

    def __init__(self) -> None:
        super().__init__()
        self._labels: list[Label] = []
        self._font = QFont()
        self._texts: dict[str, QStaticText] = {}  # laid-out text, reused across frames
        self._bounds: QRectF | None = None  # the view, in data coordinates

    def set_labels(self, labels: list[Label], font: QFont) -> None:
        if font != self._font:
            self._font = QFont(font)
            self._texts.clear()
        self._labels = labels
        if len(self._texts) > 4 * max(len(labels), 256):
            self._texts.clear()  # names no longer shown
        self.update()

    def clear(self) -> None:
        self._labels = []
        self.update()

    @property
    def texts(self) -> list[str]:
        return [label.text for label in self._labels]

    def _static(self, text: str) -> QStaticText:
        static = self._texts.get(text)
        if static is None:
            static = QStaticText(text)
            static.setTextFormat(Qt.TextFormat.PlainText)
            static.prepare(font=self._font)
            self._texts[text] = static
        return static

    # -- Qt geometry: the labels can sit anywhere in view ------------------

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        if self._bounds is None:
            view = self.viewRect()
            self._bounds = QRectF() if view is None else QRectF(view)
        return self._bounds

    def viewTransformChanged(self) -> None:  # noqa: N802 - pyqtgraph hook
        self.prepareGeometryChange()
        self._bounds = None
        super().viewTransformChanged()

    def paint(
        self, p: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        if not self._labels:
            return
        t = p.transform()
        p.resetTransform()
        p.setFont(self._font)
        pen_colour: QColor | None = None
        for label in self._labels:
            static = self._static(label.text)
            size = static.size()
            w, h = size.width() + 2 * PAD_PX, size.height() + 2 * PAD_PX
            at = t.map(QPointF(label.x, label.y))
            left = at.x() - label.anchor[0] * w
            top = at.y() - label.anchor[1] * h
            if label.fill is not None:
                p.fillRect(QRectF(left, top, w, h), label.fill)
            if label.colour != pen_colour:
                pen_colour = label.colour
                p.setPen(pen_colour)
            p.drawStaticText(QPointF(left + PAD_PX, top + PAD_PX), static)
