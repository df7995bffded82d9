"""The alerts table paints whole rows itself: what it draws is what the model's data() says.

Text is checked with a recording paint device (a real QPaintEngine that keeps
every text item the painter hands it), colours with a grab of the viewport.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, QRect, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QImage,
    QPaintDevice,
    QPaintEngine,
    QPaintEngineState,
    QPainter,
    QPaintEvent,
    QPixmap,
    QTextItem,
    QWheelEvent,
)
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from console.bridge import EngineBridge
from console.selection import Selection
from console.theme import SEVERITY_GLYPHS, Theme
from console.views.alerts import AlertsView
from console.widgets.painted_table import TEXT_PADDING, PaintedTableView
from core.engine import Engine
from core.model import Severity, Status
from core.textsafe import safe_text
from tests.console.conftest import estate, event, feed

DISPLAY = Qt.ItemDataRole.DisplayRole
SCRIPT = "<script>alert(1)</script>"
BOLD = "<b>bold</b> & <i>x</i>"


class _RecordingEngine(QPaintEngine):
    """Keeps (x, y, text) of every text item drawn; ignores everything else."""

    def __init__(self) -> None:
        super().__init__(QPaintEngine.PaintEngineFeature.AllFeatures)
        self.texts: list[tuple[float, float, str]] = []

    def begin(self, _device: QPaintDevice) -> bool:
        return True

    def end(self) -> bool:
        return True

    def updateState(self, _state: QPaintEngineState) -> None:  # noqa: N802
        pass

    def drawPixmap(self, _r: QRectF, _pm: QPixmap, _sr: QRectF) -> None:  # type: ignore[override]  # noqa: N802
        pass

    def drawPath(self, _path: Any) -> None:  # noqa: N802
        pass

    def drawPolygon(self, *_args: Any) -> None:  # noqa: N802
        pass

    def drawTextItem(self, p: QPointF, item: QTextItem) -> None:  # type: ignore[override]  # noqa: N802
        self.texts.append((p.x(), p.y(), item.text()))

    def type(self) -> QPaintEngine.Type:
        return QPaintEngine.Type.User


class RecordingDevice(QPaintDevice):
    """A paint device of a given size whose engine records the text drawn on it."""

    def __init__(self, width: int, height: int) -> None:
        super().__init__()
        self.engine = _RecordingEngine()
        self._size = (width, height)
        self._like = QImage(1, 1, QImage.Format.Format_ARGB32)

    def paintEngine(self) -> QPaintEngine:  # noqa: N802
        return self.engine

    def metric(self, metric: QPaintDevice.PaintDeviceMetric) -> int:
        if metric == QPaintDevice.PaintDeviceMetric.PdmWidth:
            return self._size[0]
        if metric == QPaintDevice.PaintDeviceMetric.PdmHeight:
            return self._size[1]
        return self._like.metric(metric)


def painted_cells(table: PaintedTableView) -> dict[tuple[int, int], str]:
    """(row, logical column) -> the text the table paints there (items joined left to right)."""
    viewport = table.viewport()
    device = RecordingDevice(viewport.width(), viewport.height())
    painter = QPainter(device)
    painter.setFont(viewport.font())
    table.paint_cells(painter, viewport.rect())
    painter.end()
    pieces: dict[tuple[int, int], list[tuple[float, str]]] = defaultdict(list)
    for x, y, text in device.engine.texts:
        index = table.indexAt(QPoint(int(x) + 1, int(y)))
        assert index.isValid(), f"text {text!r} drawn outside any cell"
        pieces[(index.row(), index.column())].append((x, text))
    return {cell: "".join(t for _x, t in sorted(items)) for cell, items in pieces.items()}


def model_cells(view: AlertsView, rows: range) -> dict[tuple[int, int], str]:
    """(row, column) -> data(DisplayRole) of the non-empty cells wholly inside the viewport."""
    model = view.model
    header = view.table.horizontalHeader()
    width = view.table.viewport().width()
    shown = [
        c
        for c in range(model.columnCount())
        if not header.isSectionHidden(c)
        and header.sectionViewportPosition(c) >= 0
        and header.sectionViewportPosition(c) + header.sectionSize(c) <= width
    ]
    cells = {(r, c): model.data(model.index(r, c), DISPLAY) for r in rows for c in shown}
    return {cell: text for cell, text in cells.items() if text}


def fit_columns(view: AlertsView) -> None:
    """Columns just wide enough for their widest text, so nothing is elided."""
    metrics = view.table.viewport().fontMetrics()
    model = view.model
    for column in range(model.columnCount()):
        texts = [model.data(model.index(r, column), DISPLAY) for r in range(model.rowCount())]
        widest = max(metrics.horizontalAdvance(t) for t in texts)
        view.table.setColumnWidth(column, widest + 2 * TEXT_PADDING + 8)


@pytest.fixture
def view(qtbot: QtBot, bridge: EngineBridge, theme: Theme, selection: Selection) -> AlertsView:
    view = AlertsView(bridge, theme, selection)
    qtbot.addWidget(view)
    view.resize(2000, 500)
    feed(
        bridge,
        event("db", at=10, extra={"team": "core"}),
        event("api", at=11, severity=Severity.MAJOR, summary=SCRIPT, extra={"team": BOLD}),
        event("web", at=12, severity=Severity.WARNING, name="Slow"),
        event("lonely", at=13, severity=Severity.INFO, name="Chatter", summary="a\x1b[2Jb"),
        event("nowhere", at=14, severity=Severity.MAJOR, name="Orphan"),
    )
    feed(
        bridge,
        event(
            "web",
            at=20,
            status=Status.RESOLVED,
            starts=12,
            ends=20,
            name="Slow",
            severity=Severity.WARNING,
        ),
    )
    view.set_label_column("team", True)
    fit_columns(view)
    view.show()
    qtbot.waitExposed(view)
    return view


def test_painted_text_equals_display_data(view: AlertsView) -> None:
    rows = view.table.visible_rows()
    assert len(rows) == view.model.rowCount() == 5
    painted = painted_cells(view.table)
    assert painted == model_cells(view, rows)
    # the severity glyph and name, as the data says, in every row
    severity = view.model.columns.index("severity")
    assert {painted[(r, severity)][0] for r in rows} <= set(SEVERITY_GLYPHS.values())


def test_untrusted_text_is_painted_literally(view: AlertsView) -> None:
    painted = set(painted_cells(view.table).values())
    assert SCRIPT in painted  # markup shown as its characters, never interpreted
    assert BOLD in painted  # label column too
    assert "a\\x1b[2Jb" in painted  # control characters escaped, as data() shows them


def test_narrow_columns_paint_elided_data(view: AlertsView) -> None:
    summary = view.model.columns.index("summary")
    view.table.setColumnWidth(summary, 60)
    metrics = view.table.viewport().fontMetrics()
    painted = painted_cells(view.table)
    for row in view.table.visible_rows():
        text = view.model.data(view.model.index(row, summary), DISPLAY)
        expected = metrics.elidedText(text, Qt.TextElideMode.ElideRight, 60 - 1 - 2 * TEXT_PADDING)
        assert painted.get((row, summary), "") == expected
    assert any(t.endswith("…") for (_r, c), t in painted.items() if c == summary)


def test_scrolled_and_moved_columns_paint_what_data_says(
    qtbot: QtBot, bridge: EngineBridge, theme: Theme, selection: Selection
) -> None:
    engine = Engine(estate())
    engine.apply([event(f"ghost-{i}", at=float(i), name=f"A{i:03d}") for i in range(300)])
    bridge.reset(engine)
    view = AlertsView(bridge, theme, selection)
    qtbot.addWidget(view)
    view.resize(1600, 400)
    view.show()
    qtbot.waitExposed(view)
    view.table.horizontalHeader().moveSection(view.model.columns.index("alertname"), 0)
    view.set_column_visible("status", False)
    view.table.scrollTo(view.model.index(200, 0), PaintedTableView.ScrollHint.PositionAtTop)
    rows = view.table.visible_rows()
    assert rows.start >= 150 and len(rows) > 5
    painted = painted_cells(view.table)
    status = view.model.columns.index("status")
    assert not any(c == status for _r, c in painted)
    alertname = view.model.columns.index("alertname")
    expected = model_cells(view, rows)
    # compare the cells that are wholly on screen (the last row may be cut off)
    shown = {k: v for k, v in expected.items() if k[0] < rows.stop - 1}
    assert {k: painted.get(k) for k in shown} == shown
    assert painted[(rows.start, alertname)] == view.model.data(
        view.model.index(rows.start, alertname), DISPLAY
    )


class _PaintRegions(QObject):
    """Event filter keeping the height of every area a widget is asked to paint."""

    def __init__(self) -> None:
        super().__init__()
        self.heights: list[int] = []

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Paint:
            self.heights.append(cast(QPaintEvent, event).region().boundingRect().height())
        return False


def wheel_down(table: PaintedTableView) -> None:
    """One notch of the mouse wheel over the table, delivered and painted."""
    viewport = table.viewport()
    at = QPointF(20, 20)
    QApplication.sendEvent(
        viewport,
        QWheelEvent(
            at,
            viewport.mapToGlobal(at),
            QPoint(0, 0),
            QPoint(0, -120),
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        ),
    )
    QApplication.processEvents()


def test_wheel_scrolling_moves_pixels_and_paints_only_new_rows(
    qtbot: QtBot, bridge: EngineBridge, theme: Theme, selection: Selection
) -> None:
    engine = Engine(estate())
    engine.apply([event(f"ghost-{i}", at=float(i), name=f"A{i:03d}") for i in range(300)])
    bridge.reset(engine)
    view = AlertsView(bridge, theme, selection)
    qtbot.addWidget(view)
    view.setStyleSheet(theme.stylesheet())  # styled as in the window
    view.resize(1200, 500)
    view.show()
    qtbot.waitExposed(view)
    table = view.table
    table.selectRow(6)
    QApplication.processEvents()
    regions = _PaintRegions()
    table.viewport().installEventFilter(regions)
    for _ in range(3):
        wheel_down(table)
    table.viewport().removeEventFilter(regions)
    steps = table.verticalScrollBar().value()
    assert steps % 2 == 1  # an odd number of rows: alternate colours must follow the rows
    assert regions.heights and max(regions.heights) < table.viewport().height() // 2
    # what is on screen (moved pixels + newly painted rows) equals a full fresh paint
    window = view.window()
    screen = QApplication.primaryScreen().grabWindow(window.winId()).toImage()
    corner = table.viewport().mapTo(window, QPoint(0, 0))
    shown = screen.copy(QRect(corner, table.viewport().size()))
    fresh = table.viewport().grab().toImage().convertToFormat(shown.format())
    assert shown == fresh


def pixel(table: PaintedTableView, row: int, column: int, dx: int = 2) -> QColor:
    """The colour near the left edge of a cell, away from its text."""
    image = table.viewport().grab().toImage()
    rect = table.visualRect(table.model().index(row, column))
    return image.pixelColor(rect.left() + dx, rect.bottom() - 1)


def test_severity_selection_and_alternate_rows_take_theme_colours(
    view: AlertsView, theme: Theme, qtbot: QtBot
) -> None:
    table, model = view.table, view.model
    severity = model.columns.index("severity")
    domain = model.columns.index("domain")
    for row in table.visible_rows():
        fill = model.data(model.index(row, severity), Qt.ItemDataRole.BackgroundRole)
        assert pixel(table, row, severity) == fill
        sev = Severity.__members__[
            model.data(model.index(row, severity), DISPLAY).split()[1].upper()
        ]
        assert fill == theme.severity_color(sev)
    assert pixel(table, 0, domain) == theme.color("background")
    assert pixel(table, 1, domain) == theme.color("surface")  # alternate row
    table.selectRow(1)
    assert pixel(table, 1, domain) == theme.color("selection")
    # the severity cell keeps its colour in the selected row
    assert pixel(table, 1, severity) == model.data(
        model.index(1, severity), Qt.ItemDataRole.BackgroundRole
    )
    theme.set_palette("light")
    qtbot.wait(1)
    assert pixel(table, 1, domain) == theme.color("selection")
    assert pixel(table, 2, domain) == theme.color("background")
    assert pixel(table, 0, severity) == model.data(
        model.index(0, severity), Qt.ItemDataRole.BackgroundRole
    )


def test_keyboard_moves_the_selection_and_copy_takes_the_cell(
    view: AlertsView, selection: Selection, qtbot: QtBot
) -> None:
    table, model = view.table, view.model
    table.setFocus()
    table.setCurrentIndex(model.index(0, model.columns.index("component")))
    qtbot.keyClick(table, Qt.Key.Key_Down)
    assert table.currentIndex().row() == 1
    assert selection.alert == model.fingerprint_at(1)
    qtbot.keyClick(table, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    assert table.currentIndex().row() == model.rowCount() - 1
    assert selection.alert == model.fingerprint_at(model.rowCount() - 1)
    assert [i.row() for i in table.selectionModel().selectedRows()] == [model.rowCount() - 1]
    qtbot.keyClick(table, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    assert selection.alert == model.fingerprint_at(0)
    # the current cell carries the theme's dashed focus outline while the table has the keys
    rect = table.visualRect(table.currentIndex())
    image = table.viewport().grab().toImage()
    assert image.pixelColor(rect.left(), rect.top()) == view.theme.color("focus")
    qtbot.keyClick(table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    clipboard = QGuiApplication.clipboard()
    assert clipboard.text() == model.data(table.currentIndex(), DISPLAY)


def test_clicking_a_row_selects_its_alert(
    view: AlertsView, selection: Selection, qtbot: QtBot
) -> None:
    table, model = view.table, view.model
    rect = table.visualRect(model.index(2, model.columns.index("summary")))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert selection.alert == model.fingerprint_at(2)
    assert [i.row() for i in table.selectionModel().selectedRows()] == [2]
    assert pixel(table, 2, model.columns.index("domain")) == view.theme.color("selection")


def test_tooltips_come_from_data(view: AlertsView) -> None:
    model = view.model
    summary = model.columns.index("summary")
    row = next(
        r for r in range(model.rowCount()) if model.data(model.index(r, summary), DISPLAY) == SCRIPT
    )
    assert model.data(model.index(row, summary), Qt.ItemDataRole.ToolTipRole) == SCRIPT
    assert model.data(model.index(row, model.columns.index("starts")), Qt.ItemDataRole.ToolTipRole)


def test_incremental_updates_are_painted(view: AlertsView, bridge: EngineBridge) -> None:
    inserted: list[int] = []
    view.model.rowsInserted.connect(lambda _p, first, _last: inserted.append(first))
    feed(bridge, event("batch", at=30, name="Fresh", summary="new one"))
    assert inserted  # inserted in place, no reset
    fit_columns(view)
    painted = painted_cells(view.table)
    assert "new one" in painted.values()
    assert painted == model_cells(view, view.table.visible_rows())


def test_cell_looks_match_data_for_every_role(view: AlertsView) -> None:
    model = view.model
    columns = list(range(model.columnCount()))
    looks = model.cell_looks(range(model.rowCount()), columns)
    for row, row_looks in enumerate(looks):
        for column, look in zip(columns, row_looks, strict=True):
            index = model.index(row, column)
            assert look.text == model.data(index, DISPLAY)
            assert look.foreground == model.data(index, Qt.ItemDataRole.ForegroundRole)
            assert look.background == model.data(index, Qt.ItemDataRole.BackgroundRole)
            assert look.alignment == model.data(index, Qt.ItemDataRole.TextAlignmentRole)


def test_a_table_without_rows_paints_only_the_background(qtbot: QtBot, theme: Theme) -> None:
    bridge = EngineBridge(Engine(estate()))
    view = AlertsView(bridge, theme, Selection())
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    assert view.table.visible_rows() == range(0)
    assert painted_cells(view.table) == {}
    image = view.table.viewport().grab().toImage()
    assert image.pixelColor(image.width() // 2, image.height() // 2) == theme.color("background")


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60)
    | st.text(max_size=30).map(safe_text),
    width=st.integers(0, 400),
)
def test_fitting_a_text_agrees_with_qt_elision(
    painted_view: PaintedTableView, text: str, width: int
) -> None:
    """The quick 'it fits' estimate never keeps a text Qt would elide."""
    metrics = painted_view._metrics(painted_view.viewport().font())
    static, _advance = painted_view._fit(metrics, text, width, 0)
    expected = metrics.elidedText(text, Qt.TextElideMode.ElideRight, width)
    assert (static.text() if static is not None else "") == expected


@pytest.fixture(scope="module")
def painted_view(qapp: QApplication) -> Iterator[PaintedTableView]:
    view = PaintedTableView(Theme("dark"))
    yield view
    view.deleteLater()
