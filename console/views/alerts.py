"""The alerts table: every alert the engine knows, filtered and sorted in the data layer.

Follows the shared selection: picking a row selects its alert and component;
selecting an alert elsewhere selects its row; selecting a failure domain
(incidents list, canvas) *filters* the table to that domain's alerts (the
domain box shows it and "All domains" lifts it); the time range chosen on the
trends view filters to alerts overlapping it.

The table paints its visible rows from the model's columns in one call per
frame (console/widgets/painted_table.py), so scrolling a million rows stays
at frame rate; everything else (selection, keys, tooltips, copy) is plain
QTableView over the model's `data()`.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, QPoint, Qt, QTimer
from PySide6.QtGui import QKeyEvent, QWheelEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from console.bridge import EngineBridge
from console.selection import Selection
from console.theme import SEVERITY_GLYPHS, Theme
from console.views.alert_model import AlertTableModel, column_title
from console.views.alert_store import BASE_COLUMNS, AlertFilter, short_time
from console.widgets.painted_table import PaintedTableView
from console.widgets.plain import plain_label, set_plain
from console.widgets.steady import SteadyLabel
from console.widgets.tables import show_row
from core.engine import Engine
from core.model import Severity

DEFAULT_SORT = ("severity", True)
_STATUSES = (("Firing", "firing"), ("Resolved", "resolved"), ("All", "all"))
_ALL_DOMAINS = "All domains"


class _DomainBox(QComboBox):
    """A combo box whose items are brought up to date only when someone is about to use them.

    Hundreds of domains open and close while alerts stream in; editing the
    list on every engine flush cost a millisecond a frame for a list nobody
    was looking at. `refresh` runs before the popup opens and before a key or
    wheel step moves the choice; the current item is kept current throughout.
    """

    def __init__(self, refresh: Callable[[], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._refresh = refresh

    def showPopup(self) -> None:  # noqa: N802 - Qt override
        self._refresh()
        super().showPopup()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        self._refresh()
        super().keyPressEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        self._refresh()
        super().wheelEvent(event)


class AlertsView(QWidget):
    """Filter bar over a PaintedTableView of AlertTableModel (whole rows painted per frame)."""

    def __init__(
        self,
        bridge: EngineBridge,
        theme: Theme,
        selection: Selection,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("AlertsView")
        self.bridge, self.theme, self.selection = bridge, theme, selection
        self.model = AlertTableModel(bridge.engine, theme)
        self._syncing = False

        self.filter_box = QLineEdit(self)
        self.filter_box.setObjectName("AlertFilter")
        self.filter_box.setPlaceholderText(
            "Filter: alert, component, summary, label value  (Ctrl+F)"
        )
        self.filter_box.setClearButtonEnabled(True)
        self._text_timer = QTimer(self)
        self._text_timer.setSingleShot(True)
        self._text_timer.setInterval(150)
        self._text_timer.timeout.connect(self._refilter)
        self.filter_box.textChanged.connect(lambda _text: self._text_timer.start())
        self.filter_box.returnPressed.connect(self._refilter)

        self.severity_buttons: dict[Severity, QToolButton] = {}
        for severity in sorted(Severity, reverse=True):
            button = QToolButton(self)
            button.setText(f"{SEVERITY_GLYPHS[severity]} {severity.label}")
            button.setCheckable(True)
            button.setChecked(True)
            button.setToolTip(f"Show {severity.label} alerts")
            button.toggled.connect(lambda _on: self._refilter())
            self.severity_buttons[severity] = button

        self.status_box = QComboBox(self)
        for text, value in _STATUSES:
            self.status_box.addItem(text, value)
        self.status_box.setCurrentIndex(2)
        self.status_box.setToolTip("Alert status")
        self.status_box.currentIndexChanged.connect(lambda _i: self._refilter())

        self.domain_box = _DomainBox(self._refresh_domains, self)
        self.domain_box.setToolTip("Only the alerts of one failure domain (follows the selection)")
        self.domain_box.addItem(_ALL_DOMAINS, None)
        self._domain_box_ids: list[str] = []  # the box's items after "all", as listed
        self.domain_box.currentIndexChanged.connect(lambda _i: self._refilter())

        self.component_box = QLineEdit(self)
        self.component_box.setPlaceholderText("component id")
        self.component_box.setMinimumWidth(8 * self.fontMetrics().horizontalAdvance("M"))
        self.component_box.setClearButtonEnabled(True)
        self.component_box.setToolTip("Only alerts on this component (exact id)")
        self.component_box.editingFinished.connect(self._refilter)

        self.time_label = plain_label("", self)
        self.time_clear = QToolButton(self)
        self.time_clear.setText("All time")
        self.time_clear.setToolTip("Clear the time range chosen on the trends view")
        self.time_clear.clicked.connect(lambda: selection.set_time_range(None))

        # Steady: the count changes with every engine frame while playing.
        self.count_label: QLabel = SteadyLabel(self, samples=("000,000 of 000,000",))
        self.count_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.filter_box, 1)
        top.addWidget(self.count_label)
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        for button in self.severity_buttons.values():
            bar.addWidget(button)
        bar.addWidget(self.status_box)
        bar.addWidget(self.domain_box)
        bar.addWidget(self.component_box, 1)
        bar.addWidget(self.time_label)
        bar.addWidget(self.time_clear)

        self.table = PaintedTableView(theme, self)
        self.table.setObjectName("AlertsTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setAlternatingRowColors(True)
        self.table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vertical = self.table.verticalHeader()
        vertical.setVisible(False)
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # uniform row heights
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionsMovable(True)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._column_menu)
        self._apply_sort(*DEFAULT_SORT)
        self.table.setSortingEnabled(True)
        self._default_widths()
        self._set_row_height()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addLayout(bar)
        layout.addWidget(self.table)

        self.model.sig_rows_changed.connect(self._show_count)
        self.table.selectionModel().currentRowChanged.connect(self._row_selected)
        bridge.sig_engine_reset.connect(self._engine_reset)
        bridge.sig_alerts_changed.connect(self._alerts_changed)
        bridge.sig_domains_changed.connect(self._domains_changed)
        bridge.sig_clock_changed.connect(lambda _clock: self.model.clock_changed())
        selection.sig_alert_changed.connect(self._follow_alert)
        selection.sig_domain_changed.connect(self._follow_domain)
        selection.sig_time_range_changed.connect(lambda _range: self._refilter())
        theme.sig_changed.connect(self._set_row_height)
        self._refresh_domains()
        self._refilter()

    # -- public API for the shell -------------------------------------------------

    def focus_filter(self) -> None:
        """Put the keyboard in the filter box, text selected (Ctrl+F, '/')."""
        self.filter_box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_box.selectAll()

    def state(self) -> dict[str, Any]:
        """Column choice, sort and widths, for the shell to persist (JSON-able)."""
        header = self.table.horizontalHeader()
        return {
            "hidden": [k for i, k in enumerate(self.model.columns) if header.isSectionHidden(i)],
            "labels": self.model.label_columns,
            "sort": [self.model.sort_column, self.model.descending],
            "widths": {k: header.sectionSize(i) for i, k in enumerate(self.model.columns)},
        }

    def restore_state(self, state: dict[str, Any]) -> None:
        """Apply what `state()` returned (unknown or malformed parts are ignored)."""
        if not isinstance(state, dict):
            return
        labels = state.get("labels")
        if isinstance(labels, list):
            self.model.set_label_columns([str(x) for x in labels if isinstance(x, str)])
        hidden = state.get("hidden")
        if isinstance(hidden, list):
            for i, key in enumerate(self.model.columns):
                self.table.setColumnHidden(i, key in hidden)
        widths = state.get("widths")
        if isinstance(widths, dict):
            for i, key in enumerate(self.model.columns):
                width = widths.get(key)
                if isinstance(width, int) and 10 <= width <= 4000:
                    self.table.setColumnWidth(i, width)
        sort = state.get("sort")
        if isinstance(sort, list) and len(sort) == 2:
            key, descending = sort
            if (key is None or key in self.model.columns) and isinstance(descending, bool):
                self._apply_sort(key, descending)

    def set_filter_text(self, text: str) -> None:
        self.filter_box.setText(text)
        self._refilter()

    # -- filtering ------------------------------------------------------------------

    def current_filter(self) -> AlertFilter:
        severities = frozenset(s for s, b in self.severity_buttons.items() if b.isChecked())
        component = self.component_box.text().strip() or None
        return AlertFilter(
            text=self.filter_box.text(),
            severities=severities,
            status=str(self.status_box.currentData()),
            domain=self.domain_box.currentData(),
            component=component,
            time_range=self.selection.time_range,
        )

    def _refilter(self) -> None:
        self._text_timer.stop()
        time_range = self.selection.time_range
        if time_range is None:
            set_plain(self.time_label, "")
        else:
            set_plain(self.time_label, f"{short_time(time_range[0])} – {short_time(time_range[1])}")
        self.time_clear.setVisible(time_range is not None)
        self.model.set_filter(self.current_filter())
        self._show_count(self.model.rowCount(), self.model.total)

    def _show_count(self, visible: int, total: int) -> None:
        self.count_label.setText(f"{visible:,} of {total:,}")

    # -- columns --------------------------------------------------------------------

    def _apply_sort(self, key: str | None, descending: bool) -> None:
        column = self.model.columns.index(key) if key in self.model.columns else -1
        order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
        self.table.horizontalHeader().setSortIndicator(column, order)
        self.model.set_sort(key if column >= 0 else None, descending)

    def _column_menu(self, pos: QPoint) -> None:
        menu = self.column_menu()
        menu.exec(self.table.horizontalHeader().mapToGlobal(pos))

    def column_menu(self) -> QMenu:
        """Checkable base columns and a submenu of label columns."""
        menu = QMenu(self)
        header = self.table.horizontalHeader()
        for i, key in enumerate(self.model.columns):
            if key not in BASE_COLUMNS:
                continue
            action = menu.addAction(column_title(key))
            action.setCheckable(True)
            action.setChecked(not header.isSectionHidden(i))
            action.toggled.connect(lambda on, k=key: self.set_column_visible(k, on))
        labels = menu.addMenu("Label columns")
        chosen = set(self.model.label_columns)
        for name in sorted(self.model.store.label_keys)[:200]:
            action = labels.addAction(name)
            action.setCheckable(True)
            action.setChecked(name in chosen)
            action.toggled.connect(lambda on, n=name: self.set_label_column(n, on))
        menu.addSeparator()
        menu.addAction("Reset columns", self.reset_columns)
        return menu

    def set_column_visible(self, key: str, visible: bool) -> None:
        if key in self.model.columns:
            self.table.setColumnHidden(self.model.columns.index(key), not visible)

    def set_label_column(self, name: str, shown: bool) -> None:
        labels = [n for n in self.model.label_columns if n != name]
        if shown:
            labels.append(name)
        self.model.set_label_columns(labels)

    def reset_columns(self) -> None:
        self.model.set_label_columns([])
        for i in range(len(self.model.columns)):
            self.table.setColumnHidden(i, self.model.columns[i] == "episodes")
        self._default_widths()

    def _default_widths(self) -> None:
        em = self.table.fontMetrics().horizontalAdvance("M")
        widths = {
            "severity": 9,
            "status": 6,
            "alertname": 16,
            "component": 14,
            "domain": 6,
            "summary": 26,
            "starts": 11,
            "ends": 11,
            "repeats": 5,
            "episodes": 5,
            "fingerprint": 11,
        }
        for i, key in enumerate(self.model.columns):
            self.table.setColumnWidth(i, widths.get(key, 10) * em)
        if "episodes" in self.model.columns:
            self.table.setColumnHidden(self.model.columns.index("episodes"), True)

    def _set_row_height(self) -> None:
        height = self.table.fontMetrics().height() + 6
        self.table.verticalHeader().setDefaultSectionSize(height)
        self.table.verticalHeader().setMinimumSectionSize(height)

    # -- following the engine and the selection -------------------------------------

    def _engine_reset(self, engine: Engine) -> None:
        self.model.reset_engine(engine)
        self._refresh_domains()
        self._follow_alert(self.selection.alert)

    def _alerts_changed(self, added: list[str], updated: list[str], resolved: list[str]) -> None:
        self.model.alerts_changed([*added, *updated, *resolved])

    def _domains_changed(self, opened: list[str], changed: list[str], closed: list[str]) -> None:
        self.model.domains_changed((opened, changed, closed))
        # the domain box's list is brought up to date when it is opened (_DomainBox)

    def _refresh_domains(self) -> None:
        """Domain box lists the open domains (and keeps the chosen one even if closed)."""
        current = self.domain_box.currentData()
        ids = self.bridge.engine.domain_ids()
        if current is not None and current not in ids:
            ids.append(current)
        shown = self._domain_box_ids
        if ids == shown:
            return
        # Edit the box rather than refill it: refilling hundreds of items costs ms a frame.
        box = self.domain_box
        box.blockSignals(True)
        # Keep the longest run already in the wanted order; move or drop the rest.
        position = {domain_id: i for i, domain_id in enumerate(ids)}
        keep = _longest_increasing([position.get(domain_id, -1) for domain_id in shown])
        for i in reversed(range(len(shown))):
            if i not in keep:
                box.removeItem(i + 1)
                del shown[i]
        have = set(shown)
        for i, domain_id in enumerate(ids):
            if domain_id not in have:
                box.insertItem(i + 1, domain_id, domain_id)
                shown.insert(i, domain_id)
        if shown != ids:  # cannot happen (kept items are in order); list them afresh
            box.clear()
            box.addItem(_ALL_DOMAINS, None)
            for domain_id in ids:
                box.addItem(domain_id, domain_id)
            self._domain_box_ids = ids
        box.setCurrentIndex(max(0, box.findData(current)))
        box.blockSignals(False)

    def _follow_domain(self, domain_id: str | None) -> None:
        self._refresh_domains()
        if domain_id is not None and self.domain_box.findData(domain_id) < 0:
            self.domain_box.addItem(domain_id, domain_id)
            self._domain_box_ids.append(domain_id)
        self.domain_box.setCurrentIndex(max(0, self.domain_box.findData(domain_id)))

    def _follow_alert(self, fingerprint: str | None) -> None:
        row = None if fingerprint is None else self.model.row_of(fingerprint)
        self._syncing = True
        try:
            selection_model = self.table.selectionModel()
            if row is None:
                selection_model.clearSelection()
                return
            show_row(self.table, row)
        finally:
            self._syncing = False

    def _row_selected(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._syncing or not current.isValid():
            return
        fingerprint = self.model.fingerprint_at(current.row())
        if fingerprint is None:
            return
        store = self.model.store
        self.selection.set_component(store.component_id(store.row_of[fingerprint]))
        self.selection.set_alert(fingerprint)


def _longest_increasing(values: list[int]) -> set[int]:
    """Indexes of a longest strictly increasing run of the non-negative `values` (in order)."""
    tails: list[int] = []  # smallest last value of an increasing run of each length
    tail_at: list[int] = []  # ... and its index
    back = [-1] * len(values)
    for i, value in enumerate(values):
        if value < 0:
            continue
        k = bisect_left(tails, value)
        back[i] = tail_at[k - 1] if k else -1
        if k == len(tails):
            tails.append(value)
            tail_at.append(i)
        else:
            tails[k], tail_at[k] = value, i
    keep: set[int] = set()
    i = tail_at[-1] if tail_at else -1
    while i >= 0:
        keep.add(i)
        i = back[i]
    return keep
