"""A QTableView that paints its visible rows itself, from one model call per paint.

QTableView paints cell by cell through an item delegate, and the delegate asks
the model for about ten roles per cell. Over a Python model that is thousands
of Python calls per frame (~40-50 ms for a screenful), whatever the model
returns. This view keeps everything else of QTableView (headers, scrolling,
selection, keyboard, tooltips, copy, accessibility: all still go through the
model's `data()`), and replaces only `paintEvent`: it asks the model once for
the looks of the visible cells (`CellLook`: text, colours, alignment) and
draws them as plain text (QStaticText with `Qt.PlainText`: markup is shown
as its characters, never interpreted). The model builds `data()` from the
same looks, so what is painted is what `data()` says.

Per frame: one fill per row and per coloured cell, one clip per column, one
text draw per cell. Texts are elided at the right ("…") and kept prepared
per (text, width), so a repaint of rows already seen lays out nothing; new
rows cost one text layout per new text.

Colours come from the theme, the same tokens the QSS gives item views
(background, alternate rows, selection, grid, focus). Limits: rows have one
height and are neither hidden nor moved (the alerts table's vertical header
is hidden and fixed); layout is left to right.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol

from PySide6.QtCore import QModelIndex, QPointF, QRect, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QFontMetricsF,
    QPainter,
    QPaintEvent,
    QPen,
    QStaticText,
)
from PySide6.QtWidgets import (
    QAbstractSlider,
    QHeaderView,
    QScrollBar,
    QStyle,
    QStyleOptionSlider,
    QTableView,
    QWidget,
)

from console.theme import Theme

TEXT_PADDING = 4  # pixels left and right of a cell's text
_TEXT_CACHE_LIMIT = 8_000  # prepared texts kept (a screenful is ~500)
_ELIDE_RIGHT = Qt.TextElideMode.ElideRight  # PySide enum lookups are slow per cell
_PLAIN = Qt.TextFormat.PlainText
_RIGHT = int(Qt.AlignmentFlag.AlignRight)  # an int: enum flag arithmetic is slow per cell
LEFT_ALIGNED = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
"""`CellLook.alignment` of text (as an int: enum flag arithmetic is slow per cell)."""
RIGHT_ALIGNED = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
"""`CellLook.alignment` of numbers."""


class CellLook(NamedTuple):
    """How one cell is drawn: escaped plain text, text colour, optional fill, alignment."""

    text: str
    foreground: QColor
    background: QColor | None
    alignment: int


class PaintedRows(Protocol):
    """What a model offers PaintedTableView: the looks of a block of cells in one call."""

    def cell_looks(self, rows: range, columns: Sequence[int]) -> list[list[CellLook]]:
        """For each row in `rows`, the looks of the cells in `columns` (logical indexes)."""
        ...


class SteadyScrollBar(QScrollBar):
    """A scroll bar that repaints only when what it shows moves.

    Rows arriving in a long table change the scroll bar's range at every
    frame, and QScrollBar repaints itself at each change (~2 ms with the
    themes' style sheet) though its handle, at the minimum size among
    thousands of rows, stays on the same pixels. Here a range or value change
    repaints only when the handle's rectangle or the enabled state changed.
    """

    def __init__(self, orientation: Qt.Orientation, parent: QWidget | None = None) -> None:
        super().__init__(orientation, parent)
        self._shown: tuple[QRect, bool] | None = None

    def sliderChange(self, change: QAbstractSlider.SliderChange) -> None:  # noqa: N802
        if change in _MOVES and self._looks() == self._shown:
            return
        super().sliderChange(change)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        self._shown = self._looks()
        super().paintEvent(event)

    def _looks(self) -> tuple[QRect, bool]:
        """Where the handle is drawn, and whether the bar is drawn as usable."""
        option = QStyleOptionSlider()
        self.initStyleOption(option)
        handle = self.style().subControlRect(_SCROLL_BAR, option, _HANDLE, self)
        return handle, self.minimum() < self.maximum()


_SCROLL_BAR = QStyle.ComplexControl.CC_ScrollBar
_HANDLE = QStyle.SubControl.SC_ScrollBarSlider
_MOVES = (
    QAbstractSlider.SliderChange.SliderRangeChange,
    QAbstractSlider.SliderChange.SliderValueChange,
)


class PaintedTableView(QTableView):
    """A table view over a `PaintedRows` model that paints whole rows, not cells.

    A cell with its own background (the severity cell) keeps it and its text
    colour in a selected row, so severity stays readable there; other cells
    of a selected row take the theme's selection colours.
    """

    def __init__(self, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme = theme
        # Rows are painted at one height (the vertical header's default size).
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        # paint_cells covers every pixel it is asked for, so Qt may scroll the viewport
        # by moving pixels and ask only for the rows that came into view (a wheel step
        # paints ~3 rows, not the whole table).
        self.viewport().setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self.setVerticalScrollBar(SteadyScrollBar(Qt.Orientation.Vertical, self))
        self.setHorizontalScrollBar(SteadyScrollBar(Qt.Orientation.Horizontal, self))
        self._texts: dict[tuple[str, int], tuple[QStaticText | None, float]] = {}
        self._ascii_advance: list[float] = []
        self._font_key = ""
        self._cache_colors()
        theme.sig_changed.connect(self._theme_changed)

    def _cache_colors(self) -> None:
        theme = self.theme
        self._base = theme.color("background")
        self._alternate = theme.color("surface")
        self._selected = theme.color("selection")
        self._selected_text = theme.color("selection_text")
        self._grid = theme.color("border")
        self._focus = theme.color("focus")

    def _theme_changed(self) -> None:
        self._cache_colors()
        self._texts.clear()  # the font size may have changed too
        self.viewport().update()

    # -- painting -------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self.viewport())
        try:
            self.paint_cells(painter, event.rect())
        finally:
            painter.end()

    def paint_cells(self, painter: QPainter, dirty: QRect) -> None:
        """Draw the cells that intersect `dirty` (viewport coordinates)."""
        painter.fillRect(dirty, self._base)
        model = self.model()
        if model is None or model.rowCount() == 0 or model.columnCount() == 0:
            return
        vertical = self.verticalHeader()
        first = vertical.visualIndexAt(dirty.top())
        if first < 0:
            return  # the dirty area is below the last row
        last = vertical.visualIndexAt(dirty.bottom())
        if last < 0:
            last = model.rowCount() - 1
        columns = self._columns_in(dirty)
        if not columns:
            return
        rows = range(first, last + 1)
        looks = self._source().cell_looks(rows, [c for c, _x, _w in columns])

        grid = 1 if self.showGrid() else 0
        height = self.rowHeight(first)
        cell_height = height - grid
        row_y = self.rowViewportPosition(first)
        foregrounds = self._paint_fills(painter, dirty, rows, columns, looks, row_y, height, grid)
        self._paint_texts(painter, rows, columns, looks, foregrounds, row_y, height, grid)
        if grid:
            self._paint_grid(painter, rows, columns, dirty)
        self._paint_focus(painter, rows, columns, row_y, cell_height)

    def _paint_fills(
        self,
        painter: QPainter,
        dirty: QRect,
        rows: range,
        columns: list[tuple[int, int, int]],
        looks: list[list[CellLook]],
        row_y: int,
        height: int,
        grid: int,
    ) -> dict[tuple[int, int], QColor]:
        """Backgrounds: alternate rows, cell fills, selection. Returns the text colours
        that selection changes, by (row offset, column offset)."""
        fill = painter.fillRect
        selected = self._selected_columns(rows, columns)
        alternate = self.alternatingRowColors()
        left = columns[0][1]
        span = columns[-1][1] + columns[-1][2] - left
        cell_height = height - grid
        changed: dict[tuple[int, int], QColor] = {}
        for offset, row_looks in enumerate(looks):
            row = rows.start + offset
            y = row_y + offset * height
            if alternate and row & 1:
                fill(QRect(left, y, span, cell_height), self._alternate)
            chosen = selected.get(row)
            for at, ((column, x, width), look) in enumerate(zip(columns, row_looks, strict=True)):
                if look.background is not None:
                    fill(QRect(x, y, width - grid, cell_height), look.background)
                elif chosen is not None and column in chosen:
                    fill(QRect(x, y, width - grid, cell_height), self._selected)
                    changed[(offset, at)] = self._selected_text
        return changed

    def _paint_texts(
        self,
        painter: QPainter,
        rows: range,
        columns: list[tuple[int, int, int]],
        looks: list[list[CellLook]],
        foregrounds: dict[tuple[int, int], QColor],
        row_y: int,
        height: int,
        grid: int,
    ) -> None:
        """Texts column by column, each column clipped to itself (one clip per column)."""
        metrics = self._metrics(painter.font())
        text_top = (height - grid - metrics.height()) / 2
        fit = self._fit
        draw = painter.drawStaticText
        pen: QColor | None = None
        for at, (_column, x, width) in enumerate(columns):
            cell_width = width - grid
            room = cell_width - 2 * TEXT_PADDING
            if room <= 0:
                continue
            painter.setClipRect(QRect(x, row_y, cell_width, len(rows) * height))
            for offset, row_looks in enumerate(looks):
                look = row_looks[at]
                right = look.alignment & _RIGHT
                text, advance = fit(metrics, look.text, room, right)
                if text is None:
                    continue
                foreground = foregrounds.get((offset, at), look.foreground)
                if foreground is not pen:
                    painter.setPen(foreground)
                    pen = foreground
                y = row_y + offset * height + text_top
                if right:
                    draw(QPointF(x + cell_width - TEXT_PADDING - advance, y), text)
                else:
                    draw(QPointF(x + TEXT_PADDING, y), text)
        painter.setClipping(False)

    def _source(self) -> PaintedRows:
        model = self.model()
        if not hasattr(model, "cell_looks"):
            raise TypeError("PaintedTableView needs a model with cell_looks(rows, columns)")
        return model

    def _columns_in(self, dirty: QRect) -> list[tuple[int, int, int]]:
        """(logical column, viewport x, width) of shown columns crossing `dirty`, left to right."""
        header = self.horizontalHeader()
        first = header.visualIndexAt(dirty.left())
        last = header.visualIndexAt(dirty.right())
        if first < 0:
            first = 0
        if last < 0:
            last = header.count() - 1
        columns = []
        for visual in range(first, last + 1):
            logical = header.logicalIndex(visual)
            if header.isSectionHidden(logical):
                continue
            width = header.sectionSize(logical)
            if width > 0:
                columns.append((logical, header.sectionViewportPosition(logical), width))
        return columns

    def _selected_columns(
        self, rows: range, columns: list[tuple[int, int, int]]
    ) -> dict[int, set[int]]:
        """Per visible row that has any, the logical columns selected in it."""
        selection_model = self.selectionModel()
        chosen: dict[int, set[int]] = {}
        if selection_model is None:
            return chosen
        selection = selection_model.selection()
        for i in range(selection.size()):
            span = selection.at(i)
            top, bottom = max(span.top(), rows.start), min(span.bottom(), rows.stop - 1)
            if top > bottom:
                continue
            picked = {c for c, _x, _w in columns if span.left() <= c <= span.right()}
            for row in range(top, bottom + 1):
                chosen.setdefault(row, set()).update(picked)
        return chosen

    def _paint_grid(
        self,
        painter: QPainter,
        rows: range,
        columns: list[tuple[int, int, int]],
        dirty: QRect,
    ) -> None:
        """One-pixel grid lines at the bottom and right edge of every cell, as QTableView."""
        height = self.rowHeight(rows.start)
        top = self.rowViewportPosition(rows.start)
        bottom = min(dirty.bottom() + 1, top + len(rows) * height)
        fill = painter.fillRect
        grid = self._grid
        for y in range(top + height - 1, top + len(rows) * height, height):
            fill(QRect(dirty.left(), y, dirty.width(), 1), grid)
        for _column, x, width in columns:
            fill(QRect(x + width - 1, dirty.top(), 1, bottom - dirty.top()), grid)

    def _paint_focus(
        self,
        painter: QPainter,
        rows: range,
        columns: list[tuple[int, int, int]],
        row_y: int,
        cell_height: int,
    ) -> None:
        """The dashed outline of the current cell while the table has the keyboard."""
        current = self.currentIndex()
        if not current.isValid() or current.row() not in rows:
            return
        if not (self.hasFocus() or self.viewport().hasFocus()):
            return
        for column, x, width in columns:
            if column == current.column():
                y = row_y + (current.row() - rows.start) * self.rowHeight(rows.start)
                painter.setPen(QPen(self._focus, 1, Qt.PenStyle.DashLine))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRect(QRect(x, y, width - 2, cell_height - 1))
                return

    def _metrics(self, font: QFont) -> QFontMetrics:
        """Metrics of the font texts are drawn in; fitted texts are cached per font."""
        key = font.key()
        if key != self._font_key:
            self._font_key = key
            self._texts.clear()
            exact = QFontMetricsF(font, self.viewport())
            self._ascii_advance = [exact.horizontalAdvance(chr(c)) for c in range(128)]
        return QFontMetrics(font, self.viewport())

    def _fit(
        self, metrics: QFontMetrics, text: str, width: int, right: int
    ) -> tuple[QStaticText | None, float]:
        """`text` elided to `width` pixels (with "…") as plain static text (None when
        nothing fits) and, when `right`, its advance for right alignment."""
        key = (text, width)
        found = self._texts.get(key)
        if found is None or (right and found[1] < 0):
            if len(self._texts) >= _TEXT_CACHE_LIMIT:
                self._texts.clear()
            # Most cells fit: an ASCII text whose summed glyph advances leave a
            # margin needs no layout to know it (measuring costs ~10-20 us a text,
            # and every new row brings new texts). Anything closer is measured.
            fitted = text
            if (
                not text.isascii()
                or _fit_margin(sum(map(self._ascii_advance.__getitem__, text.encode("ascii"))))
                > width
            ):
                fitted = metrics.elidedText(text, _ELIDE_RIGHT, width)
            static = None
            if fitted:
                static = QStaticText(fitted)
                static.setTextFormat(_PLAIN)  # never rich text
            advance = metrics.horizontalAdvance(fitted) if right else -1.0
            found = self._texts[key] = (static, advance)
        return found

    # -- what is on screen ----------------------------------------------------------

    def visible_rows(self) -> range:
        """The rows the viewport shows now (empty when there are none)."""
        model = self.model()
        count = 0 if model is None else model.rowCount(QModelIndex())
        vertical = self.verticalHeader()
        first = vertical.visualIndexAt(0)
        if first < 0 or count == 0:
            return range(0)
        last = vertical.visualIndexAt(self.viewport().height() - 1)
        return range(first, (count - 1 if last < 0 else last) + 1)


def _fit_margin(estimate: float) -> float:
    """Width to allow for a text whose glyph advances sum to `estimate` (kerning, rounding)."""
    return estimate * 1.03 + 2.0
