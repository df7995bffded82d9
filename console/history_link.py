"""The console's link to the embedded history: record what the engine applies, read it back.

`HistoryLink` follows the session: for each replay it opens a history source
(identified by the file's content, so reopening the same replay adds
nothing), queues every observation the replay applied (index ranges of the
player's timeline, in the order the engine applied them) and the replay
clock, and every operator action (with the event clock it was taken at).
The history writer process (`HistoryProcess`: a `HistoryWriter` in a child
process, started without waiting for it) does the rest: it builds the rows,
and runs its own engine over the same observations to record alert episodes
and the domain lifecycle exactly as `watchfloor history import` would, on an
interpreter lock of its own; the GUI thread only queues references (a sender
thread encodes them for the pipe). If the process dies, the status bar shows
one line and the console goes on without recording.

Only progress beyond what history already holds is recorded: after a
backwards seek, replaying known ground records nothing twice.

It also serves the readers: the trends view's `CountsReader` (minutes before
this session) and the Shift panel's report. A console opened on the history
itself (`--history DB --at TIME`) reads only.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QWidget

from console.app import ConsoleOptions
from console.background import Background
from console.kafka_source import KafkaSource
from console.replay_source import ReplaySource
from console.session import Session
from core.graph.topology import Topology
from core.history.counts import CountsReader
from core.history.process import HistoryProcess
from core.history.reader import HistoryReader
from core.history.store import HistoryError
from core.history.writer import CommitStats, SourceInfo
from core.operator import OperatorAction, OperatorLog
from core.timeline import Item, item_time

log = logging.getLogger("watchfloor.history")

SETTING_PATH = "history/path"
SETTING_ENABLED = "history/enabled"
SETTING_RETENTION = "history/retention_days"
DEFAULT_RETENTION_DAYS = 30.0
SCRIPTED_FILE = "watchfloor-history.sqlite"
"""The history's default name beside an explicit `--settings FILE`."""


@dataclass(frozen=True, slots=True)
class HistorySettings:
    """Where the history is, whether the console records into it, how long it keeps it."""

    path: Path
    enabled: bool = True
    retention_days: float = DEFAULT_RETENTION_DAYS

    @classmethod
    def load(
        cls,
        settings: QSettings,
        *,
        path: Path | None = None,
        enabled: bool | None = None,
        retention_days: float | None = None,
        default_path: Path | None = None,
    ) -> HistorySettings:
        """Command-line values win over the saved settings, which win over the defaults."""
        from core.history.paths import default_history_path

        saved_path = str(settings.value(SETTING_PATH, "") or "")
        fallback = default_path or default_history_path()
        chosen = path or (Path(saved_path) if saved_path else fallback)
        if enabled is None:
            enabled = str(settings.value(SETTING_ENABLED, "true")).lower() not in ("false", "0")
        if retention_days is None:
            try:
                retention_days = float(
                    str(settings.value(SETTING_RETENTION, DEFAULT_RETENTION_DAYS))
                )
            except ValueError:
                retention_days = DEFAULT_RETENTION_DAYS
        return cls(chosen, enabled, retention_days)

    def save(self, settings: QSettings) -> None:
        settings.setValue(SETTING_PATH, str(self.path))
        settings.setValue(SETTING_ENABLED, "true" if self.enabled else "false")
        settings.setValue(SETTING_RETENTION, self.retention_days)


class HistoryLink(QObject):
    """Records the session into the history and hands out readers."""

    sig_error = Signal(str)
    """Writing or reading the history failed; one line for the status bar."""
    sig_source_ready = Signal(int)
    """The history knows the current source (its id); its operator actions are loaded."""
    sig_committed = Signal(int)
    """A batch was committed (items in it); the Shift panel refreshes on it."""

    def __init__(
        self,
        session: Session,
        config: HistorySettings,
        operator_log: OperatorLog | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.config = config
        self.operator_log = operator_log
        self.writer: HistoryProcess | None = None
        self._reader: HistoryReader | None = None
        self.background = Background(self)
        """A worker for history reads (trends, Shift panel), apart from the session's."""
        self.open_error: str | None = None
        if config.enabled:
            try:
                self.writer = HistoryProcess(
                    config.path, on_commit=self._committed, on_error=self.sig_error.emit
                )
            except HistoryError as exc:
                log.error("%s", exc)
                self.open_error = str(exc)
        self._handle: int | None = None
        self._replay: ReplaySource | None = None
        self.source_id: int | None = None
        self._recorded = 0  # timeline items queued for the current replay
        self._clock: float | None = None  # the replay clock last queued
        self._loading_actions = False
        self._closed = False
        self.time_travel = False
        session.bridge.sig_clock_changed.connect(self._catch_up)
        session.bridge.sig_engine_reset.connect(self._catch_up)
        session.sig_source_changed.connect(self._source_changed)
        session.sig_live_changed.connect(self._live_changed)
        self._live: KafkaSource | None = None
        self._live_time = -math.inf  # the last dated live item (an undated reject takes it)
        self.sig_source_ready.connect(self._source_ready)
        if operator_log is not None:
            operator_log.subscribe(self._operator_action)
        if self.writer is not None and config.retention_days > 0:
            self.writer.retain(config.retention_days)

    # -- readers -------------------------------------------------------------

    @property
    def path(self) -> Path:
        return self.config.path

    @property
    def recording(self) -> bool:
        """Is the current source being recorded?"""
        return self.writer is not None and self._handle is not None

    def reader(self) -> HistoryReader | None:
        """A shared reader (None while the store does not exist or cannot be read)."""
        if self._closed:
            return None
        if self._reader is None:
            try:
                self._reader = HistoryReader(self.config.path)
            except HistoryError:
                return None
        return self._reader

    def flush(self, timeout: float = 30.0) -> bool:
        """Queue what the replay applied and wait until it is committed (tests, closing)."""
        self._catch_up()
        return self.writer.flush(timeout) if self.writer is not None else True

    def close(self) -> None:
        """Commit what is queued and close the store (the window is closing)."""
        if self._closed:
            return
        self._catch_up()
        self._closed = True
        self.background.shutdown()
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    # -- following the session -----------------------------------------------

    def _source_changed(self, replay: object) -> None:
        self._catch_up()  # the last of the previous source
        self._replay = replay if isinstance(replay, ReplaySource) else None
        self._handle = None
        self.source_id = None
        self._recorded = 0
        self._clock = None
        writer = self.writer
        replay_path = self.session.replay_path
        self.time_travel = replay_path is not None and _same_file(replay_path, self.path)
        if self._replay is None or writer is None or replay_path is None or self.time_travel:
            return
        topology = self.session.topology_path
        info = SourceInfo(
            key="replay:sha256:",
            name=replay_path.name,
            topology="" if topology is None else str(topology.resolve()),
            records=len(self._replay.player.records),
            content=str(replay_path),
        )

        def ready(source_id: int, _next_seq: int, _last_time: float | None) -> None:
            self.sig_source_ready.emit(source_id)  # writer thread: queued to the GUI thread

        self._handle = writer.open_source(
            info, ready, topology=self._replay.player.topology, config=self._replay.player.config
        )
        self._catch_up()

    def _live_changed(self, live: object) -> None:
        """A live Kafka source started (record what it applies) or was dropped (None)."""
        if self._live is not None:
            self._live.sig_items_applied.disconnect(self._live_items)
            self._live = None
            if self._replay is None:  # not a replay that replaced it already
                self._handle = None
                self.source_id = None
        writer = self.writer
        if not isinstance(live, KafkaSource) or writer is None:
            return
        options = live.feed.options
        topology = self.session.topology_path
        info = SourceInfo(
            key=f"kafka:{options.bootstrap}/{','.join(options.topics)}/{options.group or ''}",
            name=options.describe(),
            topology="" if topology is None else str(topology.resolve()),
        )

        def ready(source_id: int, _next_seq: int, _last_time: float | None) -> None:
            self.sig_source_ready.emit(source_id)  # writer thread: queued to the GUI thread

        engine = self.session.bridge.engine
        self._handle = writer.open_source(
            info, ready, topology=engine.topology, config=engine.config
        )
        self._live = live
        self._live_time = -math.inf
        self._clock = None
        live.sig_items_applied.connect(self._live_items)

    def _live_items(self, items: list[Item]) -> None:
        """What the live source just applied, with event times, and the engine's clock."""
        writer, handle = self.writer, self._handle
        if writer is None or handle is None:
            return
        last = self._live_time
        timed: list[tuple[float, Item]] = []
        for item in items:
            when = item_time(item)
            if when is not None:
                last = when
            timed.append((last, item))
        self._live_time = last
        writer.append_items(handle, timed)
        clock = self.session.bridge.engine.clock
        if clock is not None and (self._clock is None or clock > self._clock):
            writer.add_clock(handle, clock)
            self._clock = clock

    def _source_ready(self, source_id: int) -> None:
        if self._handle is None:
            return
        self.source_id = source_id
        self._load_actions(source_id)

    def _load_actions(self, source_id: int) -> None:
        """Put the source's persisted operator actions back into the log (once each)."""
        log_ = self.operator_log
        reader = self.reader()
        if log_ is None or reader is None:
            return
        try:
            stored = reader.actions(source_id)
        except HistoryError as exc:
            self.sig_error.emit(str(exc))
            return
        present = set(log_.actions)
        self._loading_actions = True
        try:
            for action in stored:
                if action not in present:
                    log_.record(action)
        finally:
            self._loading_actions = False

    def _catch_up(self, *_args: object) -> None:
        """Queue the timeline items the replay applied since last time, and its clock.

        Only progress counts: after a backwards seek nothing is queued until
        the replay passes what was recorded.
        """
        replay, writer, handle = self._replay, self.writer, self._handle
        if replay is None or writer is None or handle is None:
            return
        player = replay.player  # its own items and clock: right even once it was replaced
        applied, clock = player.applied, player.time
        if applied > self._recorded:
            writer.add_replay_items(handle, player.records, self._recorded, applied)
            self._recorded = applied
        if clock is not None and (self._clock is None or clock > self._clock):
            if applied >= self._recorded:
                writer.add_clock(handle, clock)
            self._clock = clock

    def _operator_action(self, action: OperatorAction) -> None:
        if self._loading_actions or self.writer is None or self._handle is None:
            return
        self._catch_up()  # the action's clock is the engine's now: record up to it first
        self.writer.add_action(self._handle, action, self.session.bridge.engine.clock)

    def _committed(self, stats: CommitStats) -> None:
        self.sig_committed.emit(stats.items)  # writer thread: queued to the GUI thread


def install_history(
    window: object,
    session: Session,
    config: HistorySettings,
    *,
    at: float | None = None,
    topology: Path | None = None,
    report: Callable[[str], None] | None = None,
) -> HistoryLink:
    """Create the link for a window: record, feed the trends view, add the Shift panel.

    With `at` (and no replay on the command line), open the history itself as
    of that time instead (time travel), read-only.
    """
    from console.views.shift import ShiftView

    incidents = getattr(window, "views", {}).get("incidents")
    operator_log = getattr(incidents, "operator_log", None)
    link = HistoryLink(
        session,
        config,
        operator_log if isinstance(operator_log, OperatorLog) else None,
        parent=session,
    )
    if report is not None:
        link.sig_error.connect(report)
        if link.open_error is not None:
            report(f"History not recorded: {link.open_error}")
    trends = getattr(window, "views", {}).get("trends")
    set_counts_source = getattr(trends, "set_counts_source", None)
    if set_counts_source is not None:
        set_counts_source(counts_source(link), link.background)
    add_dock = getattr(window, "add_panel", None)
    theme = getattr(window, "theme", None)
    if add_dock is not None and theme is not None:
        shift = ShiftView(link, session.bridge, theme)
        link.sig_committed.connect(lambda _items: shift.schedule())
        add_dock("shift", "Shift", shift)
    if at is not None:
        open_time_travel(link, at, topology)
    return link


def counts_source(link: HistoryLink) -> Callable[[], CountsReader | None]:
    """Where the trends view reads minutes before the session: InfluxDB when the
    console was started with it (the team's long-term store), else the embedded history."""
    from console.stores_link import stores_link

    stores = stores_link(link.session)
    influx = None if stores is None else stores.counts_reader
    if influx is None:
        return link.reader
    return lambda: influx


def open_time_travel(link: HistoryLink, at: float, topology: Path | None) -> None:
    """Open the history as a replay positioned at `at` (the console "as of 03:00")."""
    from core.graph.loaders import load_topology
    from core.replay import ReplayPlayer

    session = link.session
    link.time_travel = True
    path = link.path

    def work() -> tuple[Topology, ReplayPlayer]:
        reader = HistoryReader(path)
        try:
            loaded = reader.records_until(None)
        finally:
            reader.close()
        if loaded.pruned_before is not None and at < loaded.pruned_before:
            raise HistoryError("history before that time was pruned (retention)")
        topology_path = topology or (Path(loaded.topology) if loaded.topology else None)
        if topology_path is None:
            raise HistoryError("the history names no topology file: give --topology")
        topo = load_topology(topology_path)
        player = ReplayPlayer(topo, loaded.records)
        player.seek(at)
        return topo, player

    def done(result: tuple[Topology, ReplayPlayer]) -> None:
        topo, player = result
        session.show_player(topo, player, path)

    def failed(exc: BaseException) -> None:
        session.loading = False
        session.sig_error.emit(str(exc).strip().splitlines()[0] if str(exc).strip() else "failed")
        session.sig_loaded.emit()

    session.loading = True
    session.sig_progress.emit(f"Reading history {path.name}\u2026", 0, 0)
    session.background.submit(work, done, failed)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def start_history(
    window: object, session: Session, settings: QSettings, options: ConsoleOptions
) -> HistoryLink:
    """The console's history as the command line and settings say (console/shell.py)."""
    # A run with its own settings file (a script, a test) keeps its history beside
    # that file, never in the user's data directory.
    beside = None if options.settings is None else options.settings.parent / SCRIPTED_FILE
    config = HistorySettings.load(
        settings,
        path=options.history,
        enabled=False if options.no_history or options.time_travel else None,
        retention_days=options.retention_days,
        default_path=beside,
    )
    saved = HistorySettings.load(settings, default_path=beside)  # without command-line overrides
    for key, value in (
        (SETTING_PATH, str(saved.path)),
        (SETTING_ENABLED, "true" if saved.enabled else "false"),
        (SETTING_RETENTION, saved.retention_days),
    ):
        if not settings.contains(key):  # visible and editable in the settings file
            settings.setValue(key, value)
    report = getattr(window, "show_error", None)
    return install_history(
        window,
        session,
        config,
        at=options.at if options.time_travel else None,
        topology=options.topology,
        report=report,
    )


def ask_time_travel(session: Session, window: QWidget, say: Callable[[str], None]) -> None:
    """File > Open history as of…: ask for a time, then open the history as of it."""
    from PySide6.QtWidgets import QInputDialog

    from core.model import format_time, parse_time

    link = session.findChild(HistoryLink)
    reader = link.reader() if link is not None else None
    span = reader.time_span() if reader is not None else None
    if link is None or span is None:
        say("The history is empty: nothing recorded yet.")
        return
    start, end = span
    text, ok = QInputDialog.getText(
        window,
        "Open history as of",
        f"Event time (RFC 3339, UTC, or epoch seconds), "
        f"{format_time(start)} \u2013 {format_time(end)}:",
        text=format_time(end),
    )
    if not ok or not text.strip():
        return
    try:
        at = parse_time(text)
    except ValueError as exc:
        say(str(exc))
        return
    open_time_travel(link, at, None)
