"""Incidents: the open failure domains, worst first, with a detail pane and operator actions.

The list is a model over domain ids in `engine.domains()` order (severity,
size, age). It updates in place on `sig_domains_changed`: closed domains
disappear, opened ones appear, changed ones repaint, and the selection stays
on the same domain id while rows move. Rows are ordered and labelled from
each domain's `DomainSummary`, recomputed only for the domains a flush
names; root causes and impact come from `bridge.views`, which builds large
domains' views off the GUI thread (such a row shows the newest ranking, or
"…" until the first one lands). Acknowledge / assign / note go to a
`core.operator.OperatorLog` (the view's own `SourceLog`, or one passed in)
so the history and snapshots can carry them. The log belongs to the current
source: `source_changed` empties it (a replay's persisted actions are then
loaded by the history), or fills it with an opened snapshot's own notes and
acknowledgements and makes it read-only: acknowledge / assign / note are then
refused with a one-line reason on `sig_message`; when a domain merges into another,
its acknowledgement, assignee and notes follow it (what a domain shows is
derived from the merges the engine has seen up to its clock,
`OperatorLog.shown`, so it stays right across seeks) and so does the selection.
A time range chosen in the trends view (`Selection.time_range`) narrows the
list to the domains active in it, and adds those that were open in it and
have closed since (`Engine.closed_domains`: worst severity, most members,
when it closed, its top root cause at its peak, ranked when its row is first
painted), muted, with "closed HH:MM:SS" in
the Age column; notes can still be added to them, acknowledging or assigning
a closed domain is refused with the reason.

The shell binds the keyboard: `A` -> `acknowledge_selected()`.
"""

from __future__ import annotations

import getpass
import time
from collections.abc import Iterable, Sequence
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from console.bridge import EngineBridge
from console.domain_views import DomainViews
from console.selection import Selection, TimeRange
from console.theme import SEVERITY_GLYPHS, Theme
from console.views.alert_store import AgeClock, age, short_time
from console.views.incidents_text import (
    CLOSED_IMPACT,
    NO_OPERATOR_STATE,
    PENDING,
    closed_cause_text,
    closed_detail_text,
    domain_detail_text,
    operator_text,
    root_cause_text,
)
from console.views.keyed_model import KeyedTableModel
from console.widgets.painted_table import LEFT_ALIGNED, RIGHT_ALIGNED, CellLook
from console.widgets.plain import plain_label, plain_view, set_plain
from console.widgets.tables import list_table, show_row
from core.closed_domains import ClosedDomain
from core.engine import DomainSummary, DomainView, Engine
from core.operator import DomainState, OperatorAction, OperatorLog
from core.textsafe import safe_text

_LOOK_ROLES = frozenset(
    {
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.ForegroundRole,
        Qt.ItemDataRole.BackgroundRole,
        Qt.ItemDataRole.TextAlignmentRole,
    }
)


def operator_name() -> str:
    """The OS user name (the default `who` of operator actions)."""
    try:
        return getpass.getuser() or "operator"
    except (KeyError, OSError):
        return "operator"


class SourceLog(OperatorLog):
    """The operator log of the current source, refilled in place when the source changes.

    One object for the window's life, so whoever subscribed to it (the view,
    the history) stays subscribed; `reset` replaces its actions without
    telling them (they are not new actions). `read_only` holds why operator
    actions are refused (an opened snapshot), or None.
    """

    def __init__(self, actions: Iterable[OperatorAction] = ()) -> None:
        super().__init__(actions)
        self.read_only: str | None = None

    def reset(self, actions: Iterable[OperatorAction] = (), read_only: str | None = None) -> int:
        """Replace every action by `actions` (invalid ones skipped); returns how many were kept."""
        listeners = self._listeners
        OperatorLog.__init__(self)  # empty, and nobody listening while it is refilled
        kept = 0
        for action in actions:
            try:
                self.record(action)
            except ValueError:
                continue  # a hand-made snapshot's bad row: shown nowhere, never a crash
            kept += 1
        self._listeners = listeners
        self.read_only = read_only
        return kept


def read_only_reason(source: object) -> str | None:
    """Why a source takes no operator actions (an opened snapshot), or None."""
    if not getattr(source, "read_only", False):
        return None
    name = getattr(source, "name", "") or "this source"
    return f"{name} is a read-only snapshot: its notes and acknowledgements cannot be changed"


class IncidentsModel(KeyedTableModel):
    """Open failure domains by id, in the engine's order (those active in a time range, if set)."""

    headers = ("Severity", "Domain", "Size", "Top root cause", "Impact", "Age", "Operator")
    ROOT_CAUSE_COLUMN = 3
    IMPACT_COLUMN = 4
    AGE_COLUMN = 5

    def __init__(
        self, engine: Engine, theme: Theme, log: OperatorLog, views: DomainViews | None = None
    ) -> None:
        super().__init__()
        self.engine, self.theme, self.log = engine, theme, log
        self.views = views if views is not None else DomainViews(engine, self)
        self.time_range: TimeRange | None = None
        self._acted: set[str] | None = None  # during cell_looks: see _showing_actions
        self._summaries: dict[str, DomainSummary] = {}
        self._order_keys: dict[str, tuple[int, int, float, tuple[int, str]]] = {}
        self._closed: dict[str, tuple[ClosedDomain, DomainSummary]] = {}  # shown, in the range
        self.replace_engine(engine)

    def replace_engine(self, engine: Engine) -> None:
        self.engine = engine
        if self.views.engine is not engine:
            self.views.reset(engine)
        self._summaries = {}
        self._order_keys = {}
        self._summarize(engine.domain_ids())
        self.replace(self._order())

    def domains_changed(
        self, opened: Sequence[str], changed: Sequence[str], closed: Sequence[str]
    ) -> None:
        """Follow a flush: only the domains it names are summarized again."""
        for domain_id in closed:
            self._summaries.pop(domain_id, None)
            self._order_keys.pop(domain_id, None)
        self._summarize([*opened, *changed])
        self.sync(self._order(), changed)

    def set_time_range(self, time_range: TimeRange | None) -> None:
        """Show only the domains active within the range (None: all open domains)."""
        self.time_range = time_range
        self.sync(self._order())

    @property
    def open_count(self) -> int:
        """Open domains, shown or not."""
        return len(self._summaries)

    @property
    def closed_count(self) -> int:
        """Closed domains shown (those that were open within the time range)."""
        return len(self._closed)

    def summary(self, key: str) -> DomainSummary | None:
        """An open domain's summary (None for a closed one: see `closed`)."""
        return self._summaries.get(key)

    def closed(self, key: str) -> ClosedDomain | None:
        """A closed domain shown because it was open within the time range."""
        entry = self._closed.get(key)
        return None if entry is None else entry[0]

    def _row_summary(self, key: str) -> DomainSummary | None:
        summary = self._summaries.get(key)
        if summary is None:
            entry = self._closed.get(key)
            summary = None if entry is None else entry[1]
        return summary

    def view(self, key: str) -> DomainView | None:
        """The open domain's view (for a large domain, the newest built; None until one is)."""
        return self.views.view(key)

    def views_ready(self, domain_ids: list[str]) -> None:
        """Large domains got a new view: repaint their root cause and impact."""
        for domain_id in domain_ids:
            row = self.row_of(domain_id)
            if row is not None:
                self.dataChanged.emit(
                    self.index(row, self.ROOT_CAUSE_COLUMN), self.index(row, self.IMPACT_COLUMN)
                )

    def operator_changed(self, domain_id: str) -> None:
        row = self.row_of(domain_id)
        if row is not None:
            column = len(self.headers) - 1
            self.dataChanged.emit(self.index(row, column), self.index(row, column))

    def cell(self, key: str, column: int, role: int) -> Any:
        summary = self._row_summary(key)
        if summary is None:
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            closed = self.closed(key)
            if closed is not None and column == self.AGE_COLUMN:
                opened, ended = short_time(closed.opened_at), short_time(closed.closed_at)
                return f"opened {opened}, closed {ended}"
            if column == self.ROOT_CAUSE_COLUMN and closed is not None:
                causes = closed.root_causes  # ranked at its peak (on the first read)
                if causes and closed.peak_at is not None:
                    peak = f"at its peak, {short_time(closed.peak_at)}: "
                    return safe_text(peak + "; ".join(causes[0].reasons))
            if column == self.ROOT_CAUSE_COLUMN and closed is None:
                view = self.view(key)
                if view is not None and view.root_causes:
                    return safe_text("; ".join(view.root_causes[0].reasons))
            return None
        if role not in _LOOK_ROLES:
            return None
        look = self._look(summary, column)
        if role == Qt.ItemDataRole.DisplayRole:
            return look.text
        if role == Qt.ItemDataRole.ForegroundRole:
            return look.foreground
        if role == Qt.ItemDataRole.BackgroundRole:
            return look.background
        return look.alignment

    def cell_looks(self, rows: range, columns: Sequence[int]) -> list[list[CellLook]]:
        """The looks of the visible cells, for PaintedTableView (one call per paint).

        Made by `_look`, as `data()` is, so the table paints what `data()` says.
        """
        keys, look, summary_of = self.keys, self._look, self._row_summary
        blank = CellLook("", self.theme.color("text"), None, LEFT_ALIGNED)
        self._acted = self._showing_actions()
        block = []
        for row in rows:
            summary = summary_of(keys[row]) if row < len(keys) else None
            if summary is None:
                block.append([blank] * len(columns))
            else:
                block.append([look(summary, column) for column in columns])
        self._acted = None
        return block

    def _showing_actions(self) -> set[str]:
        """The open domains that show an operator action: those acted on, and those they
        went on to merge into (`Engine.merged_into`, as `Engine.merged_from` follows).

        A repaint asks every visible row's operator state; a domain that has
        absorbed hundreds of others would list and sort them all on each
        repaint, while the operator has touched only a few domains.
        """
        merged_into = self.engine.merged_into
        showing: set[str] = set()
        for domain_id in self.log.domains():
            at: str | None = domain_id
            while at is not None and at not in showing:
                showing.add(at)
                at = merged_into.get(at)
        return showing

    def _look(self, summary: DomainSummary, column: int) -> CellLook:
        """How a domain's cell is shown: escaped text, colours, alignment."""
        theme = self.theme
        if column == 0:
            return CellLook(
                self._text(summary, column),
                theme.severity_text_color(summary.severity),
                theme.severity_color(summary.severity),
                LEFT_ALIGNED,
            )
        alignment = RIGHT_ALIGNED if column in (2, self.IMPACT_COLUMN) else LEFT_ALIGNED
        closed = self.closed(summary.id)
        if closed is not None:  # muted: what was, not what is
            return CellLook(
                self._closed_text(closed, column), theme.color("text_muted"), None, alignment
            )
        foreground = theme.color("text")
        if column == self.ROOT_CAUSE_COLUMN:
            view = self.views.listed(summary.id)
            if view is not None and view.root_causes and not view.root_causes[0].alerting:
                foreground = theme.color("silent")
        return CellLook(self._text(summary, column), foreground, None, alignment)

    def _closed_text(self, closed: ClosedDomain, column: int) -> str:
        if column == self.ROOT_CAUSE_COLUMN:
            return safe_text(closed_cause_text(closed))
        if column == self.IMPACT_COLUMN:
            return CLOSED_IMPACT
        if column == self.AGE_COLUMN:
            return f"closed {short_time(closed.closed_at)}"
        return self._text(self._closed[closed.id][1], column)

    def _text(self, summary: DomainSummary, column: int) -> str:
        if column == 0:
            return f"{SEVERITY_GLYPHS[summary.severity]} {summary.severity.label}"
        if column == 1:
            return summary.id
        if column == 2:
            return str(summary.size)
        if column in (self.ROOT_CAUSE_COLUMN, self.IMPACT_COLUMN):
            view = self.views.listed(summary.id)
            if view is None:
                return PENDING
            if column == self.IMPACT_COLUMN:
                return str(len(view.impact))
            return safe_text(root_cause_text(view))
        if column == self.AGE_COLUMN:
            clock = self.engine.clock
            return "" if clock is None else age(clock - summary.first_seen)
        if self._acted is not None and summary.id not in self._acted:
            return NO_OPERATOR_STATE
        return safe_text(operator_text(self.log, summary.id, self.engine.merged_from(summary.id)))

    def _summarize(self, domain_ids: list[str]) -> None:
        engine, summaries, keys = self.engine, self._summaries, self._order_keys
        for domain_id in domain_ids:
            summary = engine.domain_summary(domain_id)
            if summary is None:
                summaries.pop(domain_id, None)
                keys.pop(domain_id, None)
            else:
                summaries[domain_id] = summary
                keys[domain_id] = summary.order_key

    def _order(self) -> list[str]:
        keys = self._order_keys
        if self.time_range is None:
            self._closed = {}
            return sorted(keys, key=keys.__getitem__)
        time_range, clock = self.time_range, self.engine.clock
        shown = {
            s.id: keys[s.id] for s in self._summaries.values() if active_in(s, time_range, clock)
        }
        closed = self._closed
        previous, self._closed = closed, {}
        for domain in self.engine.closed_domains(*time_range):
            entry = previous.get(domain.id)
            if entry is None or entry[0] is not domain:
                summary = DomainSummary(
                    domain.id, domain.severity, domain.size, domain.first_seen, domain.opened_at
                )
                entry = (domain, summary)
            self._closed[domain.id] = entry
            shown[domain.id] = entry[1].order_key
        return sorted(shown, key=shown.__getitem__)


def active_in(summary: DomainSummary, time_range: TimeRange, clock: float | None) -> bool:
    """Whether an open domain was active at some time within [start, end].

    It has been open from its first alert (or its opening, if earlier) until
    the clock, the same rule the alerts table applies to a firing alert.
    """
    start, end = time_range
    began = min(summary.first_seen, summary.opened_at)
    return began <= end and (clock is None or clock >= start)


def domain_order(engine: Engine) -> list[str]:
    """Open domain ids in the engine's order (`Engine.domains`) without building their views."""
    summaries = (engine.domain_summary(domain_id) for domain_id in engine.domain_ids())
    return [s.id for s in sorted(filter(None, summaries), key=lambda s: s.order_key)]


class IncidentsView(QWidget):
    """Failure domains list (top) and the selected domain's details and actions (bottom)."""

    sig_message = Signal(str)
    """One line for the status bar (an operator action refused, and why)."""

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
        self.operator_log = operator_log if operator_log is not None else SourceLog()
        self.who = who or operator_name()
        self.model = IncidentsModel(bridge.engine, theme, self.operator_log, bridge.views)
        self._syncing = False
        self._moved_selection: str | None = None  # the selected domain merged into this one
        self._shown_view: DomainView | None = None  # what the detail pane was rendered from

        self.table = list_table(self.model, self, "IncidentsTable", single=True, theme=theme)
        header = self.table.horizontalHeader()
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
        self.range_label = plain_label("", self)
        self.range_label.setObjectName("IncidentsRange")
        self.range_label.hide()

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
        layout.addWidget(self.range_label)
        layout.addWidget(splitter)

        self.table.selectionModel().currentRowChanged.connect(self._row_selected)
        bridge.sig_engine_reset.connect(self._engine_reset)
        bridge.sig_domains_merged.connect(self._domains_merged)
        bridge.sig_domains_changed.connect(self._domains_changed)
        self._ages = AgeClock()
        bridge.sig_clock_changed.connect(self._clock_changed)
        bridge.views.sig_ready.connect(self._views_ready)
        selection.sig_domain_changed.connect(self._follow_domain)
        selection.sig_time_range_changed.connect(self._time_range_changed)
        theme.sig_changed.connect(self.model.refresh)
        self.operator_log.subscribe(self._logged)
        if selection.time_range is not None:
            self._time_range_changed(selection.time_range)
        self._follow_domain(selection.domain)

    # -- operator actions -----------------------------------------------------------

    @property
    def selected_domain(self) -> str | None:
        index = self.table.selectionModel().currentIndex()
        return self.model.key_at(index.row()) if index.isValid() else None

    @property
    def read_only(self) -> str | None:
        """Why operator actions are refused here (an opened snapshot), or None."""
        return getattr(self.operator_log, "read_only", None)

    def source_changed(self, source: object) -> None:
        """A new source: its own operator log (a snapshot's notes and acks, read-only).

        Connected to `Session.sig_source_changed` before the history is, so
        the history loads a replay's persisted actions into the emptied log.
        """
        snapshot = getattr(source, "snapshot", None)
        actions: Iterable[OperatorAction] = getattr(snapshot, "operator", ()) or ()
        reason = read_only_reason(source)
        log_ = self.operator_log
        if isinstance(log_, SourceLog):
            log_.reset(actions, reason)
        else:  # a plain log handed in: this view's per-source log from now on
            log_.unsubscribe(self._logged)
            self.operator_log = SourceLog()
            self.operator_log.reset(actions, reason)
            self.operator_log.subscribe(self._logged)
        self.model.log = self.operator_log
        self.model.refresh()
        self._show_detail(self.selected_domain)

    def shown_state(self, domain_id: str) -> DomainState:
        """The domain's operator state as shown: its own, and that of domains merged into it."""
        return self.operator_log.shown(domain_id, self.bridge.engine.merged_from(domain_id))

    def _refused(self, what: str, domain_id: str | None = None) -> bool:
        """True (and says why on `sig_message`) when the source takes no operator actions,
        or (given `domain_id`) the domain has closed and `what` needs an open one."""
        reason = self.read_only
        if reason is None and domain_id is not None and self.model.closed(domain_id):
            reason = f"{domain_id} has closed"
        if reason is None:
            return False
        self.sig_message.emit(f"Cannot {what}: {reason}.")
        return True

    def acknowledge_selected(self) -> OperatorAction | None:
        """Acknowledge the selected domain (no-op when none or already acknowledged)."""
        domain_id = self.selected_domain
        if domain_id is None or self._refused("acknowledge", domain_id):
            return None
        if self.shown_state(domain_id).acknowledged:
            return None
        return self.operator_log.acknowledge(domain_id, self.who, time.time())

    def toggle_ack_selected(self) -> OperatorAction | None:
        domain_id = self.selected_domain
        if domain_id is None or self._refused("acknowledge", domain_id):
            return None
        if self.shown_state(domain_id).acknowledged:
            return self.operator_log.unacknowledge(domain_id, self.who, time.time())
        return self.operator_log.acknowledge(domain_id, self.who, time.time())

    def assign_selected_to_me(self) -> OperatorAction | None:
        domain_id = self.selected_domain
        if domain_id is None or self._refused("assign", domain_id):
            return None
        return self.operator_log.assign(domain_id, self.who, time.time())

    def add_note(self, text: str) -> OperatorAction | None:
        domain_id = self.selected_domain
        if domain_id is None or not text.strip() or self._refused("add a note"):
            return None
        return self.operator_log.note(domain_id, self.who, text, time.time())

    def _ask_note(self) -> None:
        if self.selected_domain is None or self._refused("add a note"):
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
        self._moved_selection = None
        self.model.replace_engine(engine)
        self._update_range_label()
        self._follow_domain(self.selection.domain)

    def _domains_merged(self, merged: dict[str, str]) -> None:
        """Operator state and the selection follow a domain into the one it merged into."""
        for kept in dict.fromkeys(merged.values()):
            self.model.operator_changed(kept)  # it shows the merged domains' state now
        selected = self.selected_domain
        if selected is not None and selected in merged:
            self._moved_selection = merged[selected]

    def _domains_changed(self, opened: list[str], changed: list[str], closed: list[str]) -> None:
        selected = self.selected_domain
        moved, self._moved_selection = self._moved_selection, None
        self._syncing = True
        try:
            self.model.domains_changed(opened, changed, closed)
        finally:
            self._syncing = False
        if self.model.time_range is not None:
            self._update_range_label()
        if selected is None:
            return
        gone = self.model.row_of(selected) is None
        if gone and moved is not None and self.model.row_of(moved) is not None:
            self.selection.set_domain(moved)
            self._follow_domain(moved)
            return
        if self.model.row_of(selected) is None:
            # The domain closed; Qt moved the current row to a neighbour: undo that.
            self._follow_domain(None)
            self._show_detail(selected)
        elif selected in closed:  # listed as closed (it was open within the time range)
            self._show_detail(selected)
        elif selected in changed:
            # A large domain's view changes only when a rebuild lands (_views_ready):
            # re-rendering its members and timeline on every flush would be wasted.
            self._show_detail(selected, unless_shown=True)

    def _views_ready(self, domain_ids: list[str]) -> None:
        self.model.views_ready(domain_ids)
        selected = self.selected_domain
        if selected is not None and selected in domain_ids:
            self._show_detail(selected)

    def _time_range_changed(self, time_range: object) -> None:
        selected = self.selected_domain
        self._syncing = True
        try:
            if isinstance(time_range, tuple):
                start, end = time_range
                self.model.set_time_range((float(start), float(end)))
            else:
                self.model.set_time_range(None)
        finally:
            self._syncing = False
        self._update_range_label()
        if selected is not None and self.model.row_of(selected) is None:
            self._follow_domain(None)  # filtered out: do not let Qt pick a neighbour
            self._show_detail(selected)

    def _update_range_label(self) -> None:
        time_range = self.model.time_range
        if time_range is None:
            self.range_label.hide()
            return
        start, end = time_range
        set_plain(
            self.range_label,
            f"Active {short_time(start)}–{short_time(end)}: "
            f"{self.model.rowCount() - self.model.closed_count} of {self.model.open_count} "
            f"open domains, {self.model.closed_count} closed since",
        )
        self.range_label.show()

    def _clock_changed(self, clock: float) -> None:
        if self.model.keys and self._ages.moved(clock):
            column = self.model.AGE_COLUMN
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

    def _show_detail(self, domain_id: str | None, *, unless_shown: bool = False) -> None:
        """Render the domain's detail (`unless_shown`: skip when its view is the one shown)."""
        engine = self.bridge.engine
        summary = None
        if domain_id is not None:
            # The row may be hidden by the time range while the domain is still open.
            summary = self.model.summary(domain_id) or engine.domain_summary(domain_id)
        view = self.model.view(domain_id) if domain_id is not None and summary else None
        if unless_shown and view is not None and view is self._shown_view:
            return
        self._shown_view = view
        closed = None if domain_id is None or summary else self.model.closed(domain_id)
        for button in (self.ack_button, self.assign_button, self.note_button):
            button.setEnabled(summary is not None)
        scroll = self.detail.verticalScrollBar().value()
        if closed is not None:  # shown because it was open within the time range
            self.note_button.setEnabled(self.read_only is None)
            set_plain(
                self.title,
                f"{SEVERITY_GLYPHS[closed.severity]} {closed.id} · closed "
                f"{short_time(closed.closed_at)} · was {closed.severity.label} · "
                f"up to {closed.size} alerting",
            )
            self.detail.setPlainText(closed_detail_text(closed, self.operator_log))
            return
        if domain_id is None or summary is None:
            set_plain(
                self.title, "No domain selected" if domain_id is None else f"{domain_id}: closed"
            )
            self.detail.setPlainText("")
            return
        acked = self.shown_state(domain_id).acknowledged
        self.ack_button.setText("Unacknowledge (A)" if acked else "Acknowledge (A)")
        impacted = PENDING if view is None else str(len(view.impact))
        set_plain(
            self.title,
            f"{SEVERITY_GLYPHS[summary.severity]} {domain_id} · {summary.severity.label} · "
            f"{summary.size} alerting · {impacted} impacted",
        )
        merged_from = engine.merged_from(domain_id)
        if view is None:
            text = safe_text(
                f"{PENDING} ranking the root causes of {summary.size} alerting components"
            )
        else:
            text = domain_detail_text(engine, view, self.operator_log, merged_from)
        self.detail.setPlainText(text)
        self.detail.verticalScrollBar().setValue(scroll)

    def detail_text(self) -> str:
        return self.detail.toPlainText()
