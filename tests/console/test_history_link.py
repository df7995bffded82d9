"""The console records into the embedded history and reads it back (real SQLite, real demo)."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from console.history_link import HistoryLink, HistorySettings, install_history, open_time_travel
from console.kafka_source import KafkaSource
from console.main_window import MainWindow
from console.session import DEMO_REPLAY, DEMO_TOPOLOGY
from console.source import SourceState
from console.views.shift import ShiftView
from core.analysis import analyze_records
from core.graph.loaders import load_topology
from core.history.reader import HistoryReader
from core.history.recorder import import_records, replay_source
from core.history.timetravel import analysis_from_history
from core.history.writer import HistoryWriter
from core.ingest.kafka_config import KafkaOptions
from core.ingest.kafka_live import LiveConsumer
from core.model import parse_time
from core.timeline import Item, Record, load_records
from tests.console.conftest import make_window
from tests.kafka.conftest import (
    BASE_TIME_MS,
    FAST_GROUP,
    Broker,
    alert_stream,
    free_port,
    tansu_binary,
    topology_file,
)


@pytest.fixture
def history_path(tmp_path: Path) -> Path:
    return tmp_path / "history.sqlite"


class Console:
    """A window with the history installed, as console/shell.py does it."""

    def __init__(self, qtbot: QtBot, settings_path: Path, history: Path) -> None:
        self.qtbot = qtbot
        self.window: MainWindow = make_window(qtbot, settings_path)
        self.session = self.window.session
        config = HistorySettings(history, enabled=True, retention_days=0)
        self.errors: list[str] = []
        self.link: HistoryLink = install_history(
            self.window, self.session, config, report=self.errors.append
        )

    def open_demo(self, *, speed: float = math.inf, autoplay: bool = True) -> None:
        with self.qtbot.waitSignal(self.session.sig_loaded, timeout=20_000):
            self.session.open(DEMO_TOPOLOGY, DEMO_REPLAY, speed=speed, autoplay=autoplay)

    def play_to_end(self) -> None:
        replay = self.session.replay
        assert replay is not None
        replay.set_speed(math.inf)
        replay.play()
        self.qtbot.waitUntil(lambda: replay.state is SourceState.FINISHED, timeout=30_000)
        self.session.bridge.flush()

    def close(self) -> None:
        self.link.close()
        self.window.close()


@pytest.fixture
def console(qtbot: QtBot, settings_path: Path, history_path: Path) -> Iterator[Console]:
    made = Console(qtbot, settings_path, history_path)
    yield made
    made.close()


def steps(path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT domain, step, at, severity, members, alerts, impacted, root_causes "
            "FROM domain_steps ORDER BY at, domain, step"
        ).fetchall()


def test_a_played_replay_is_recorded_exactly_as_headless_import(
    qtbot: QtBot, console: Console, tmp_path: Path
) -> None:
    console.open_demo()
    console.play_to_end()
    assert console.link.flush()
    assert not console.errors
    topology = load_topology(DEMO_TOPOLOGY)
    records = load_records(DEMO_REPLAY)
    with HistoryReader(console.link.path) as reader:
        start, end = reader.time_span() or (0.0, 0.0)
        for fraction in (0.2, 0.5, 0.9):
            at = start + (end - start) * fraction
            rebuilt = analysis_from_history(reader, topology, at).to_json()
            assert rebuilt == analyze_records(topology, records, at=at).to_json()
    # the lifecycle the console recorded (at max speed: whole frames of alerts at once)
    # is the one `watchfloor history import` records from the same input
    headless = tmp_path / "headless.sqlite"
    writer = HistoryWriter(headless)
    import_records(
        writer, replay_source(DEMO_REPLAY, DEMO_TOPOLOGY, len(records)), topology, records
    )
    assert writer.flush()
    writer.close()
    recorded = steps(console.link.path)
    assert recorded == steps(headless)
    assert {row[1] for row in recorded} == {"opened", "changed", "closed"}


def test_seeking_back_and_playing_again_records_nothing_twice(
    qtbot: QtBot, console: Console
) -> None:
    console.open_demo(autoplay=False)
    replay = console.session.replay
    assert replay is not None
    with qtbot.waitSignal(replay.sig_seek_finished, timeout=20_000):
        replay.seek(parse_time("2026-11-26T02:40:00Z"))
    assert console.link.flush()
    with HistoryReader(console.link.path) as reader:
        assert reader.stats()["events"] > 0
    with qtbot.waitSignal(replay.sig_seek_finished, timeout=20_000):
        replay.seek(parse_time("2026-11-26T02:10:00Z"))
    console.play_to_end()
    assert console.link.flush()
    with HistoryReader(console.link.path) as reader:
        stats = reader.stats()
    assert stats["events"] + stats["rejected"] == len(replay.player)
    with sqlite3.connect(console.link.path) as conn:
        duplicates = conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM domain_steps WHERE step != 'changed' "
            "GROUP BY source, domain, step HAVING count(*) > 1)"
        ).fetchone()[0]
    assert duplicates == 0


def test_operator_actions_survive_a_restart(
    qtbot: QtBot, settings_path: Path, history_path: Path, tmp_path: Path
) -> None:
    first = Console(qtbot, settings_path, history_path)
    first.open_demo(autoplay=False)
    replay = first.session.replay
    assert replay is not None
    with qtbot.waitSignal(replay.sig_seek_finished, timeout=20_000):
        replay.seek(parse_time("2026-11-26T02:20:00Z"))
    log = first.link.operator_log
    assert log is not None
    domain = first.session.bridge.engine.domains()[0].id
    log.acknowledge(domain, "ana", at=1_800_000_000.0)
    log.note(domain, "ana", "<b>tor-r03</b> rebooted", at=1_800_000_060.0)
    assert first.link.flush()
    first.close()

    second = Console(qtbot, tmp_path / "other.ini", history_path)
    try:
        with qtbot.waitSignal(second.link.sig_source_ready, timeout=20_000):
            second.open_demo(autoplay=False)
        log2 = second.link.operator_log
        assert log2 is not None
        state = log2.state(domain)
        assert state.acked_by == "ana"
        assert [n.text for n in state.notes] == ["<b>tor-r03</b> rebooted"]
        assert second.link.flush()
        with sqlite3.connect(history_path) as conn:  # loading them did not store them again
            assert conn.execute("SELECT count(*) FROM actions").fetchone()[0] == 2
        with HistoryReader(history_path) as reader:
            report = reader.shift_report(0.0, 2e9)
        outcome = next(d for d in report.domains if d.domain == domain)
        assert outcome.acknowledged == pytest.approx(parse_time("2026-11-26T02:20:00Z"))
    finally:
        second.close()


def test_time_travel_opens_the_history_as_of_a_time(
    qtbot: QtBot, console: Console, settings_path: Path, history_path: Path, tmp_path: Path
) -> None:
    console.open_demo()
    console.play_to_end()
    assert console.link.flush()
    console.close()

    at = parse_time("2026-11-26T02:20:00Z")
    reopened = Console(qtbot, tmp_path / "again.ini", history_path)
    try:
        with qtbot.waitSignal(reopened.session.sig_loaded, timeout=20_000):
            open_time_travel(reopened.link, at, None)
        assert reopened.link.time_travel
        engine = reopened.session.bridge.engine
        expected = analyze_records(load_topology(DEMO_TOPOLOGY), load_records(DEMO_REPLAY), at=at)
        got = [(d.id, d.members, [c.component for c in d.root_causes]) for d in engine.domains()]
        want = [(d.id, d.members, [c.component for c in d.root_causes]) for d in expected.domains]
        assert got == want
        assert engine.clock == at
        # reading the history back does not write it again
        before = HistoryReader(history_path).stats()
        replay = reopened.session.replay
        assert replay is not None
        reopened.play_to_end()
        assert reopened.link.flush()
        assert HistoryReader(history_path).stats()["events"] == before["events"]
    finally:
        reopened.close()


def test_shift_panel_shows_domains_and_noisiest(
    qtbot: QtBot, console: Console, qtmodeltester
) -> None:
    console.open_demo()
    console.play_to_end()
    assert console.link.flush()
    shift = console.window.views["shift"]
    assert isinstance(shift, ShiftView)
    panels = console.window.findChild(QMenu, "menu_panels")
    assert panels is not None
    assert "Show shift" in [a.text() for a in panels.actions()]
    with qtbot.waitSignal(shift.sig_report_shown, timeout=20_000):
        shift.refresh()
    report = shift.report
    assert report is not None and report.domains
    assert shift.domains.rowCount() == len(report.domains)
    assert shift.noisiest.rowCount() == len(report.noisiest) > 0
    newest, last = report.domains[-1], len(report.domains) - 1  # listed newest first
    assert shift.domains.data(shift.domains.index(0, 0)) == newest.domain
    assert shift.domains.data(shift.domains.index(last, 0)) == report.domains[0].domain
    assert shift.domains.data(shift.domains.index(0, 1)) == newest.severity.label
    assert "failure domains opened" in shift.summary.text()
    qtmodeltester.check(shift.domains)
    qtmodeltester.check(shift.noisiest)
    closed = [d for d in report.domains if d.time_to_resolve is not None]
    assert closed and report.mean_time_to_resolve is not None


def test_a_hidden_shift_panel_reads_the_history_once_it_is_shown(
    qtbot: QtBot, console: Console
) -> None:
    """A report reads the whole span: the panel does it when on screen, and a panel
    that was hidden while the history grew catches up as it is shown."""
    console.open_demo()
    console.play_to_end()
    assert console.link.flush()
    shift = console.window.views["shift"]
    assert isinstance(shift, ShiftView)
    from PySide6.QtWidgets import QDockWidget

    dock = shift.parentWidget()
    while dock is not None and not isinstance(dock, QDockWidget):
        dock = dock.parentWidget()
    assert dock is not None
    console.window.show()
    qtbot.waitUntil(lambda: not shift._busy, timeout=20_000)  # a report asked for on show
    dock.hide()  # as when another panel's tab is on top
    shown: list[bool] = []
    shift.sig_report_shown.connect(lambda: shown.append(True))
    shift._refresh_if_shown()  # what the refresh timer calls as commits land
    qtbot.wait(200)
    assert not shown  # hidden: nothing read
    with qtbot.waitSignal(shift.sig_report_shown, timeout=20_000):
        dock.show()
    assert shift.report is not None and shift.report.domains
    assert shift.domains.rowCount() == len(shift.report.domains)


def test_a_history_that_cannot_be_written_is_one_line(
    qtbot: QtBot, settings_path: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "a-folder.sqlite"
    folder.mkdir()
    console = Console(qtbot, settings_path, folder)
    try:
        assert console.link.writer is None
        assert len(console.errors) == 1 and "\n" not in console.errors[0]
        console.open_demo()  # the console works on without history
        assert console.session.replay is not None
    finally:
        console.close()


def test_file_menu_opens_the_history_as_of_a_time(
    qtbot: QtBot, console: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QInputDialog

    messages: list[str] = []
    monkeypatch.setattr(console.window, "show_message", messages.append)
    action = console.window.actions_by_id["file.open_history"]
    action.trigger()  # nothing recorded yet: says so, opens nothing
    assert messages and "empty" in messages[-1]
    console.open_demo()
    console.play_to_end()
    assert console.link.flush()
    at = "2026-11-26T02:20:00Z"
    monkeypatch.setattr(QInputDialog, "getText", lambda *_a, **_k: (at, True))
    with qtbot.waitSignal(console.session.sig_loaded, timeout=20_000):
        action.trigger()
    assert console.link.time_travel
    assert console.session.bridge.engine.clock == parse_time(at)


def test_closing_commits_everything_applied(
    qtbot: QtBot, settings_path: Path, history_path: Path
) -> None:
    console = Console(qtbot, settings_path, history_path)
    console.open_demo(autoplay=False)
    replay = console.session.replay
    assert replay is not None
    for _ in range(25):
        replay.step()  # applied, and the window closes before the next frame
    applied = replay.player.applied
    console.close()
    with HistoryReader(history_path) as reader:
        stats = reader.stats()
    assert stats["events"] + stats["rejected"] == applied > 0


# -- live Kafka sessions (a real broker) ---------------------------------------------


@pytest.fixture(scope="module")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    folder = tmp_path_factory.mktemp("tansu")
    broker = Broker(tansu_binary(), free_port(), folder / "tansu.log")
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


def go_live(console: Console, topology: Path, options: KafkaOptions) -> KafkaSource:
    with console.qtbot.waitSignal(console.session.sig_loaded, timeout=20_000):
        console.session.open_live(topology, LiveConsumer(options, config=FAST_GROUP))
    live = console.session.live
    assert live is not None
    return live


def test_a_live_kafka_session_is_recorded_and_resumes_the_same_source(
    qtbot: QtBot, settings_path: Path, history_path: Path, kafka_broker: Broker, tmp_path: Path
) -> None:
    count = 60
    kafka_broker.create_topic("history-live", partitions=1)
    kafka_broker.produce("history-live", alert_stream(count, malformed_every=12))
    topology = topology_file(tmp_path)
    options = KafkaOptions(kafka_broker.bootstrap, ("history-live",), group="history-live")
    console = Console(qtbot, settings_path, history_path)
    try:
        live = go_live(console, topology, options)
        applied: list[Item] = []
        live.sig_items_applied.connect(applied.extend)
        qtbot.waitUntil(lambda: live.applied_total == count, timeout=30_000)
        assert console.link.recording and console.link.flush()
        engine = console.session.bridge.engine
        episodes = {fp: state.episodes for fp, state in engine.alerts.items()}
        console.session.close_source()  # commits the offsets: the next session reads on
        kafka_broker.produce("history-live", alert_stream(12, start_ms=BASE_TIME_MS + 3_600_000))
        again = go_live(console, topology, options)
        again.sig_items_applied.connect(applied.extend)
        qtbot.waitUntil(lambda: again.applied_total == 12, timeout=30_000)
        assert console.link.flush()
    finally:
        console.close()
    assert len(applied) == count + 12
    with HistoryReader(history_path) as reader:
        sources = reader.sources()
        stats = reader.stats()
        stored = dict(
            reader._all("SELECT fingerprint, max(episode) FROM episodes GROUP BY fingerprint")
        )
        rebuilt = analysis_from_history(reader, load_topology(topology))
    # One source for broker, topic and group, across both sessions.
    assert [s["key"] for s in sources] == [
        f"kafka:{kafka_broker.bootstrap}/history-live/history-live"
    ]
    assert stats["events"] == count - count // 12 + 12
    assert stats["rejected"] == count // 12
    # Every episode of the first session; the second numbers on after them.
    assert all(stored[fp] >= n for fp, n in episodes.items())
    assert sum(stored.values()) > sum(episodes.values())
    records = [Record(n, (item,)) for n, item in enumerate(applied, start=1)]
    expected = analyze_records(load_topology(topology), records)
    expected.source, expected.records = rebuilt.source, rebuilt.records
    assert rebuilt.to_json() == expected.to_json()
