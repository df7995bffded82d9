"""Incidents: the open failure domains, worst first, with a detail pane and operator actions.

The list is a model over domain ids in `engine.domains()` order (severity,
size, age). It updates in place on `sig_domains_changed`: closed domains
disappear, opened ones appear, changed ones repaint, and the selection stays
on the same domain id while rows move. Acknowledge / assign / note go to a
`core.operator.OperatorLog` (the view's own, or one passed in) so the
history and snapshots can carry them.

The shell binds the keyboard: `A` -> `acknowledge_selected()`.
"""

from __future__ import annotations

import getpass
import math
import time
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.bridge import EngineBridge
from console.selection import Selection
from console.theme import SEVERITY_GLYPHS, Theme
from console.views.alert_store import age, short_time
from console.views.keyed_model import KeyedTableModel
from console.widgets.plain import plain_label, plain_view, set_plain
from console.widgets.tables import show_row
from core.engine import DomainView, Engine
from core.operator import OperatorAction, OperatorLog
from core.textsafe import safe_text

SILENT_GLYPH = "\u25cc"  # ◌ dotted circle: a candidate that raises no alert
NEAREST_IMPACT = 8
TIMELINE_SCAN_LIMIT = 50_000  # scan resolved alerts of members only on smaller estates


def operator_name() -> str:
    """The OS user name (the default `who` of operator actions)."""
    try:
        return getpass.getuser() or "operator"
    except (KeyError, OSError):
        return "operator"


def root_cause_text(view: DomainView) -> str:
    if not view.root_causes:
        return ""
    top = view.root_causes[0]
    if top.alerting:
        return f"{top.component}  {top.score:.2f}"
    return f"{SILENT_GLYPH} {top.component} (silent)  {top.score:.2f}"


class IncidentsModel(KeyedTableModel):
    """Open failure domains by id, in the engine's order."""

    headers = ("Severity", "Domain", "Size", "Top root cause", "Impact", "Age", "Operator")
    ROOT_CAUSE_COLUMN = 3

    def __init__(self, engine: Engine, theme: Theme, log: OperatorLog) -> None:
        super().__init__()
        self.engine, self.theme, self.log = engine, theme, log
        self.replace_engine(engine)

    def replace_engine(self, engine: Engine) -> None:
        self.engine = engine
        self.replace(domain_order(engine))

    def domains_changed(self, changed: list[str]) -> None:
        self.sync(domain_order(self.engine), changed)

    def view(self, key: str) -> DomainView | None:
        """The open domain's view, built when a row shows it (the engine caches it)."""
        return self.engine.domain(key)

    def operator_changed(self, domain_id: str) -> None:
        row = self.row_of(domain_id)
        if row is not None:
            column = len(self.headers) - 1
            self.dataChanged.emit(self.index(row, column), self.index(row, column))

    def cell(self, key: str, column: int, role: int) -> Any:
        view = self.view(key)
        if view is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(view, column)
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == 0:
                return self.theme.severity_text_color(view.severity)
            silent = bool(view.root_causes) and not view.root_causes[0].alerting
            if column == self.ROOT_CAUSE_COLUMN and silent:
                return self.theme.color("silent")
            return None
        if role == Qt.ItemDataRole.BackgroundRole and column == 0:
            return self.theme.severity_color(view.severity)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (2, 4):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        tooltip = role == Qt.ItemDataRole.ToolTipRole and column == self.ROOT_CAUSE_COLUMN
        if tooltip and view.root_causes:
            return safe_text("; ".join(view.root_causes[0].reasons))
        return None

    def _text(self, view: DomainView, column: int) -> str:
        if column == 0:
            return f"{SEVERITY_GLYPHS[view.severity]} {view.severity.label}"
        if column == 1:
            return view.id
        if column == 2:
            return str(view.size)
        if column == 3:
            return safe_text(root_cause_text(view))
        if column == 4:
            return str(len(view.impact))
        if column == 5:
            clock = self.engine.clock
            return "" if clock is None else age(clock - view.first_seen)
        return safe_text(operator_text(self.log, view.id))


def domain_order(engine: Engine) -> list[str]:
    """Open domain ids in the engine's order (`Engine.domains`) without building their views.

    Severity, size and first alert start come from the members' firing
    alerts; ranking and blast radius are left to the rows that are shown.
    """
    alerts = engine.alerts
    keyed: list[tuple[tuple[int, int, float, tuple[int, str]], str]] = []
    for domain_id in engine.domain_ids():
        members = engine.domain_members(domain_id)
        worst = 0
        first = math.inf
        for member in members:
            for fingerprint in engine.firing_on(member):
                alert = alerts[fingerprint]
                worst = max(worst, int(alert.severity))
                first = min(first, alert.starts_at)
        keyed.append(((-worst, -len(members), first, _id_order(domain_id)), domain_id))
    keyed.sort()
    return [domain_id for _, domain_id in keyed]


def _id_order(domain_id: str) -> tuple[int, str]:
    digits = domain_id.lstrip("D")
    return (int(digits), domain_id) if digits.isdigit() else (0, domain_id)


def operator_text(log: OperatorLog, domain_id: str) -> str:
    state = log.state(domain_id)
    parts = []
    if state.acked_by is not None:
        parts.append(f"\u2714 ack {state.acked_by}")
    if state.assignee is not None:
        parts.append(f"\u2192 {state.assignee}")
    if state.notes:
        parts.append(f"{len(state.notes)} note" + ("s" if len(state.notes) > 1 else ""))
    return " · ".join(parts) if parts else "unacknowledged"


class IncidentsView(QWidget):
    """Failure domains list (top) and the selected domain's details and actions (bottom)."""

    def __init__(
        self,
        bridge: EngineBridge,
        theme: Theme,
        selection: Selection,
        parent: QWidget | None = None,
        operator_log: OperatorLog | None = None,
        who: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("IncidentsView")
        self.bridge, self.theme, self.selection = bridge, theme, selection
        self.operator_log = operator_log if operator_log is not None else OperatorLog()
        self.who = who or operator_name()
        self.model = IncidentsModel(bridge.engine, theme, self.operator_log)
        self._syncing = False

        self.table = QTableView(self)
        self.table.setObjectName("IncidentsTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        em = self.table.fontMetrics().horizontalAdvance("M")
        for column, width in enumerate((7, 6, 4, 15, 5, 4)):
            header.resizeSection(column, width * em)

        self.title = plain_label("No domain selected", self)
        self.title.setObjectName("IncidentTitle")
        title_font = theme.font(1.15)
        title_font.setBold(True)
        self.title.setFont(title_font)
        self.ack_button = QPushButton("Acknowledge (A)", self)
        self.ack_button.clicked.connect(self.toggle_ack_selected)
        self.assign_button = QPushButton("Assign to me", self)
        self.assign_button.clicked.connect(self.assign_selected_to_me)
        self.note_button = QPushButton("Add note…", self)
        self.note_button.clicked.connect(self._ask_note)
        self.detail = plain_view(self)
        self.detail.setObjectName("IncidentDetail")

        actions = QHBoxLayout()
        actions.setContentsMargins(0, 0, 0, 0)
        actions.addWidget(self.ack_button)
        actions.addWidget(self.assign_button)
        actions.addWidget(self.note_button)
        actions.addStretch(1)
        pane = QWidget(self)
        pane_layout = QVBoxLayout(pane)
        pane_layout.setContentsMargins(0, 0, 0, 0)
        pane_layout.addWidget(self.title)
        pane_layout.addLayout(actions)
        pane_layout.addWidget(self.detail)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.table)
        splitter.addWidget(pane)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)

        self.table.selectionModel().currentRowChanged.connect(self._row_selected)
        bridge.sig_engine_reset.connect(self._engine_reset)
        bridge.sig_domains_changed.connect(self._domains_changed)
        bridge.sig_clock_changed.connect(self._clock_changed)
        selection.sig_domain_changed.connect(self._follow_domain)
        theme.sig_changed.connect(self.model.refresh)
        self.operator_log.subscribe(self._logged)
        self._follow_domain(selection.domain)

    # -- operator actions -----------------------------------------------------------

    @property
    def selected_domain(self) -> str | None:
        index = self.table.selectionModel().currentIndex()
        return self.model.key_at(index.row()) if index.isValid() else None

    def acknowledge_selected(self) -> OperatorAction | None:
        """Acknowledge the selected domain (no-op when none or already acknowledged)."""
        domain_id = self.selected_domain
        if domain_id is None or self.operator_log.state(domain_id).acknowledged:
            return None
        return self.operator_log.acknowledge(domain_id, self.who, time.time())

    def toggle_ack_selected(self) -> OperatorAction | None:
        domain_id = self.selected_domain
        if domain_id is None:
            return None
        if self.operator_log.state(domain_id).acknowledged:
            return self.operator_log.unacknowledge(domain_id, self.who, time.time())
        return self.operator_log.acknowledge(domain_id, self.who, time.time())

    def assign_selected_to_me(self) -> OperatorAction | None:
        domain_id = self.selected_domain
        if domain_id is None:
            return None
        return self.operator_log.assign(domain_id, self.who, time.time())

    def add_note(self, text: str) -> OperatorAction | None:
        domain_id = self.selected_domain
        if domain_id is None or not text.strip():
            return None
        return self.operator_log.note(domain_id, self.who, text, time.time())

    def _ask_note(self) -> None:
        if self.selected_domain is None:
            return
        text, ok = QInputDialog.getMultiLineText(
            self, "Add note", f"Note on {self.selected_domain}:"
        )
        if ok:
            self.add_note(text)

    def _logged(self, action: OperatorAction) -> None:
        self.model.operator_changed(action.domain_id)
        if action.domain_id == self.selected_domain:
            self._show_detail(action.domain_id)

    # -- following the engine and the selection -------------------------------------

    def _engine_reset(self, engine: Engine) -> None:
        self.model.replace_engine(engine)
        self._follow_domain(self.selection.domain)

    def _domains_changed(self, _opened: list[str], changed: list[str], _closed: list[str]) -> None:
        selected = self.selected_domain
        self._syncing = True
        try:
            self.model.domains_changed(changed)
        finally:
            self._syncing = False
        if selected is None:
            return
        if self.model.row_of(selected) is None:
            # The domain closed; Qt moved the current row to a neighbour: undo that.
            self._follow_domain(None)
            self._show_detail(selected)
        elif selected in changed:
            self._show_detail(selected)

    def _clock_changed(self, _clock: float) -> None:
        if self.model.keys:
            column = 5
            self.model.dataChanged.emit(
                self.model.index(0, column), self.model.index(len(self.model.keys) - 1, column)
            )

    def _follow_domain(self, domain_id: str | None) -> None:
        row = self.model.row_of(domain_id)
        self._syncing = True
        try:
            selection_model = self.table.selectionModel()
            if row is None:
                selection_model.clearSelection()
                selection_model.setCurrentIndex(
                    QModelIndex(), QItemSelectionModel.SelectionFlag.Clear
                )
            else:
                show_row(self.table, row)
        finally:
            self._syncing = False
        self._show_detail(domain_id)

    def _row_selected(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._syncing:
            return
        domain_id = self.model.key_at(current.row()) if current.isValid() else None
        self._show_detail(domain_id)
        if domain_id is not None:
            self.selection.set_domain(domain_id)

    # -- detail pane ----------------------------------------------------------------

    def _show_detail(self, domain_id: str | None) -> None:
        view = self.model.view(domain_id) if domain_id is not None else None
        enabled = view is not None
        for button in (self.ack_button, self.assign_button, self.note_button):
            button.setEnabled(enabled)
        scroll = self.detail.verticalScrollBar().value()
        if view is None:
            set_plain(
                self.title, "No domain selected" if domain_id is None else f"{domain_id}: closed"
            )
            self.detail.setPlainText("")
            return
        acked = self.operator_log.state(view.id).acknowledged
        self.ack_button.setText("Unacknowledge (A)" if acked else "Acknowledge (A)")
        set_plain(
            self.title,
            f"{SEVERITY_GLYPHS[view.severity]} {view.id} · {view.severity.label} · "
            f"{view.size} alerting · {len(view.impact)} impacted",
        )
        self.detail.setPlainText(domain_detail_text(self.bridge.engine, view, self.operator_log))
        self.detail.verticalScrollBar().setValue(scroll)

    def detail_text(self) -> str:
        return self.detail.toPlainText()


def domain_detail_text(engine: Engine, view: DomainView, log: OperatorLog) -> str:
    """The detail pane as plain text (escaped): state, causes, impact, members, timeline."""
    lines: list[str] = []
    clock = engine.clock
    since = f" ({age(clock - view.first_seen)} ago)" if clock is not None else ""
    lines.append(f"First alert {short_time(view.first_seen)}{since}")
    lines.append(f"Operator: {operator_text(log, view.id)}")
    state = log.state(view.id)
    if state.acked_by is not None and state.acked_at is not None:
        lines.append(f"  acknowledged by {state.acked_by} at {short_time(state.acked_at)}")
    if state.assignee is not None and state.assigned_at is not None:
        lines.append(f"  assigned to {state.assignee} at {short_time(state.assigned_at)}")
    lines.append("")
    lines.append("Root causes (ranked)")
    for rank, cause in enumerate(view.root_causes, start=1):
        marker = f"{SEVERITY_GLYPHS[view.severity]} " if cause.alerting else f"{SILENT_GLYPH} "
        silent = "" if cause.alerting else "  (silent: raises no alert)"
        lines.append(f"{rank:>2}. {marker}{cause.component}  score {cause.score:.2f}{silent}")
        for reason in cause.reasons:
            lines.append(f"      - {reason}")
    lines.append("")
    impact = view.impact
    nearest = ", ".join(
        f"{c} ({h} hop{'s' if h != 1 else ''})"
        for c, h in zip(
            impact.ids(NEAREST_IMPACT), impact.hops[:NEAREST_IMPACT].tolist(), strict=False
        )
    )
    more = " …" if len(impact) > NEAREST_IMPACT else ""
    lines.append(f"Impact: {len(impact)} components not alerting")
    if nearest:
        lines.append(f"  nearest: {nearest}{more}")
    lines.append("")
    lines.append(f"Members ({view.size}, first to alert first)")
    lines.append("  " + ", ".join(view.members))
    lines.append("")
    lines.append("Timeline")
    for when, text in domain_timeline(engine, view):
        lines.append(f"  {short_time(when)}  {text}")
    if state.notes:
        lines.append("")
        lines.append("Notes")
        for note in state.notes:
            lines.append(f"  {short_time(note.at)} {note.who}: {note.text}")
    return safe_text("\n".join(lines), keep_newlines=True)


def domain_timeline(engine: Engine, view: DomainView) -> list[tuple[float, str]]:
    """Starts and ends of the domain's alerts, in time order.

    Firing alerts come from the domain itself; alerts on its members that
    already resolved are found by a scan of the engine's alerts, done only on
    estates small enough for it to be instant.
    """
    alerts = [engine.alerts[fp] for fp in view.alerts if fp in engine.alerts]
    if len(engine.alerts) <= TIMELINE_SCAN_LIMIT:
        index = engine.topology.index
        members = {index[m] for m in view.members}
        seen = set(view.alerts)
        alerts.extend(
            a
            for a in engine.alerts.values()
            if a.fingerprint not in seen
            and a.component in members
            and a.ends_at is not None
            and a.ends_at >= view.first_seen
        )
    events: list[tuple[float, str]] = []
    ids = engine.topology.ids
    for alert in alerts:
        where = ids[alert.component] if alert.component is not None else "unmapped"
        glyph = SEVERITY_GLYPHS[alert.severity]
        events.append((alert.starts_at, f"{glyph} start  {alert.alertname} on {where}"))
        if alert.ends_at is not None and not alert.firing:
            events.append((alert.ends_at, f"  end    {alert.alertname} on {where}"))
    events.sort(key=lambda e: e[0])
    return events
