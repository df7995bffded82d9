"""Shift: what the history says about the last hours — domains, time to acknowledge and resolve.

Reads `HistoryReader.shift_report` for a span ending at the engine's clock
(or the newest stored time): each failure domain opened in the span with its
severity, top root cause, time to acknowledge and time to resolve, the means
over the span, and the noisiest components. Queries run off the GUI thread
and refresh at most every few seconds while the history grows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from console.background import Background
from console.bridge import EngineBridge
from console.theme import Theme
from console.widgets.tables import list_table
from core.history.cli import resolve_text
from core.history.reader import ComponentNoise, DomainOutcome, HistoryReader, ShiftReport
from core.model import duration_text, format_time
from core.textsafe import safe_text

SPANS: tuple[tuple[str, float], ...] = (
    ("last 8 hours", 8 * 3600.0),
    ("last 12 hours", 12 * 3600.0),
    ("last 24 hours", 24 * 3600.0),
    ("last 7 days", 7 * 86400.0),
)
REFRESH_MS = 5000
SIZED_ROWS = 50
"""Rows (the newest) the columns are sized to. Qt's default, 1,000, asked the model
for every cell of a thousand rows on each refresh: ~150-300 ms of the GUI thread
every few seconds while a busy replay records (bench_console_live.py --history)."""

Index = QModelIndex | QPersistentModelIndex


class ReportSource(Protocol):
    """What the panel needs from the history link."""

    def reader(self) -> HistoryReader | None: ...

    @property
    def background(self) -> Background: ...


class RowsModel(QAbstractTableModel):
    """A read-only table of text rows, each made when the view first asks for it (a
    shift's report can list thousands of domains; the view shows a screenful)."""

    def __init__(self, headers: tuple[str, ...], right_aligned: tuple[int, ...] = ()) -> None:
        super().__init__()
        self.headers = headers
        self.right_aligned = right_aligned
        self._items: Sequence[Any] = ()
        self._make: Callable[[Any], tuple[str, ...]] | None = None
        self._made: dict[int, tuple[str, ...]] = {}

    def set_rows(
        self, items: Sequence[Any], make: Callable[[Any], tuple[str, ...]] | None = None
    ) -> None:
        """`items` as the rows (`make` turns one into its texts; without it they are)."""
        self.beginResetModel()
        self._items, self._make, self._made = items, make, {}
        self.endResetModel()

    def row(self, number: int) -> tuple[str, ...]:
        if self._make is None:
            texts: tuple[str, ...] = self._items[number]
            return texts
        made = self._made.get(number)
        if made is None:
            made = self._made[number] = self._make(self._items[number])
        return made

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.headers)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.row(index.row())[index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in self.right_aligned:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers[section] if 0 <= section < len(self.headers) else None
        return None


class ShiftView(QWidget):
    """Domains of the shift with time to acknowledge and resolve; the noisiest components."""

    sig_report_shown = Signal()
    """A report (or why there is none) is on screen."""

    def __init__(
        self,
        link: ReportSource,
        bridge: EngineBridge,
        theme: Theme,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("ShiftView")
        self.link, self.bridge, self.theme = link, bridge, theme
        self.report: ShiftReport | None = None
        self._busy = False
        self._again = False
        self._stale = False  # the history grew while the panel was hidden

        self.span = QComboBox(self)
        self.span.setAccessibleName("Shift span")
        for label, _seconds in SPANS:
            self.span.addItem(label)
        self.span.setCurrentIndex(1)
        self.span.currentIndexChanged.connect(lambda _i: self.refresh())
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.clicked.connect(self.refresh)
        self.summary = QLabel("No history yet.", self)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)

        self.domains = RowsModel(
            ("Domain", "Severity", "Opened", "To acknowledge", "To resolve", "Top root cause",
             "Source"),
            right_aligned=(3, 4),
        )  # fmt: skip
        self.noisiest = RowsModel(("Component", "Firings", "Alerts", "Firing time"), (1, 2, 3))
        self.domain_table = list_table(self.domains, self, "ShiftDomains")
        self.noise_table = list_table(self.noisiest, self, "ShiftNoisiest")
        for table in (self.domain_table, self.noise_table):
            table.horizontalHeader().setResizeContentsPrecision(SIZED_ROWS)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(QLabel("Span:", self))
        top.addWidget(self.span)
        top.addWidget(self.refresh_button)
        top.addStretch(1)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.domain_table)
        splitter.addWidget(self.noise_table)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(splitter, 1)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._refresh_if_shown)
        bridge.sig_engine_reset.connect(lambda _engine: self.schedule())
        QTimer.singleShot(0, self._refresh_if_shown)

    # -- loading -------------------------------------------------------------

    def schedule(self) -> None:
        """Refresh within a few seconds (the history grew); coalesces bursts."""
        if not self._timer.isActive():
            self._timer.start()

    def _refresh_if_shown(self) -> None:
        """Refresh now if the panel is on screen, else once it is shown: a report reads
        the whole span, work that competes with the window for the interpreter."""
        if self.isVisible():
            self.refresh()
        else:
            self._stale = True

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if self._stale:
            self._stale = False
            self.refresh()

    def span_seconds(self) -> float:
        return SPANS[max(0, self.span.currentIndex())][1]

    def refresh(self) -> None:
        """Read the report for the chosen span in a worker thread."""
        self._timer.stop()
        if self._busy:
            self._again = True
            return
        reader = self.link.reader()
        if reader is None:
            self.summary.setText("No history yet.")
            return
        self._busy = True
        clock = self.bridge.engine.clock
        seconds = self.span_seconds()

        def work() -> ShiftReport:
            end = clock
            if end is None:
                span = reader.time_span()
                end = span[1] if span is not None else 0.0
            end += 1.0
            return reader.shift_report(end - seconds, end)

        def failed(exc: BaseException) -> None:  # one line, never a traceback in the window
            text = str(exc).strip().splitlines()
            self._show(f"Cannot read the history: {text[0] if text else type(exc).__name__}")

        self.link.background.submit(work, self._show, failed)

    def _show(self, result: object) -> None:
        self._busy = False
        if isinstance(result, str):
            self.summary.setText(result)
        elif isinstance(result, ShiftReport):
            self.show_report(result)
        self.sig_report_shown.emit()
        if self._again:
            self._again = False
            self.refresh()

    def show_report(self, report: ShiftReport) -> None:
        self.report = report
        acked = sum(1 for d in report.domains if d.acknowledged is not None)
        closed = sum(1 for d in report.domains if d.closed is not None)
        merged = sum(1 for d in report.domains if d.merged_into is not None)
        self.summary.setText(
            f"{format_time(report.start)} \u2013 {format_time(report.end)}: "
            f"{len(report.domains)} failure domains opened, {acked} acknowledged, "
            f"{closed} resolved, {merged} merged into others. Mean time to acknowledge "
            f"{duration_text(report.mean_time_to_acknowledge)}, to resolve "
            f"{duration_text(report.mean_time_to_resolve)}."
        )
        self.domains.set_rows(list(reversed(report.domains)), domain_row)  # newest first
        self.noisiest.set_rows(report.noisiest, noisy_row)
        for table in (self.domain_table, self.noise_table):
            table.resizeColumnsToContents()


def domain_row(d: DomainOutcome) -> tuple[str, ...]:
    return (
        safe_text(d.domain),
        d.severity.label,
        short_time(d.opened),
        duration_text(d.time_to_acknowledge),
        resolve_text(d),
        safe_text(d.top_cause),
        safe_text(d.source),
    )


def noisy_row(n: ComponentNoise) -> tuple[str, ...]:
    return (
        safe_text(n.component) if n.component else "(unmapped)",
        f"{n.firings:,}",
        f"{n.alerts:,}",
        duration_text(n.firing_seconds),
    )


def short_time(time: float) -> str:
    """'11-26 02:41:33' (UTC): a shift's times without the year and zone."""
    return format_time(time)[5:19].replace("T", " ")
