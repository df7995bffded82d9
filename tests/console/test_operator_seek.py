"""In the window: acknowledgements and notes follow domain merges across seeks and playing.

The real demo in the real MainWindow with the history installed. In the demo,
D14 merges into D9 at 02:16:33 and D9 into D3 at 02:17:07. The operator
acknowledges D9 and notes on D14 at 02:16:10; what the incidents list and
detail pane show is asserted from the model, after a seek past the merge, a
seek back before it, playing through it, a restart (history) and a snapshot.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from console.history_link import HistorySettings, install_history
from console.main_window import MainWindow
from console.replay_source import ReplaySource
from console.session import DEMO_REPLAY, DEMO_TOPOLOGY
from console.views.incidents import IncidentsView
from core.graph.loaders import load_topology
from core.model import parse_time
from core.snapshot.content import SnapshotOptions
from core.snapshot.export import export_snapshot
from core.timeline import load_records
from tests.console.conftest import make_window

ACTED = parse_time("2026-11-26T02:16:10Z")  # D3, D9 and D14 open side by side
D9_INTO_D3 = parse_time("2026-11-26T02:17:06.810Z")
PAST = parse_time("2026-11-26T02:20:00Z")
NOTE = "tor-r07 <b>power</b> cycled"


class Window:
    """The main window with the history installed, as console/shell.py does it."""

    def __init__(self, qtbot: QtBot, settings: Path, history: Path) -> None:
        self.qtbot = qtbot
        self.window: MainWindow = make_window(qtbot, settings)
        self.session = self.window.session
        self.errors: list[str] = []
        self.link = install_history(
            self.window,
            self.session,
            HistorySettings(history, enabled=True, retention_days=0),
            report=self.errors.append,
        )
        incidents = self.window.views["incidents"]
        assert isinstance(incidents, IncidentsView)
        self.incidents = incidents

    def open_demo(self, at: float) -> ReplaySource:
        ready = self.qtbot.waitSignal(self.link.sig_source_ready, timeout=30_000)
        loaded = self.qtbot.waitSignal(self.session.sig_loaded, timeout=30_000)
        with ready, loaded:
            self.session.open(DEMO_TOPOLOGY, DEMO_REPLAY, at=at, autoplay=False)
        replay = self.session.replay
        assert isinstance(replay, ReplaySource)
        return replay

    def seek(self, time: float) -> None:
        replay = self.session.replay
        assert isinstance(replay, ReplaySource)
        with self.qtbot.waitSignal(replay.sig_seek_finished, timeout=30_000):
            replay.seek(time)

    def select(self, domain_id: str) -> None:
        self.window.selection.set_domain(domain_id)
        self.qtbot.waitUntil(lambda: self.incidents.selected_domain == domain_id, timeout=10_000)

    def operator(self, domain_id: str) -> str:
        """The Operator column of a domain's row (the model's data, and as the table paints it)."""
        model = self.incidents.model
        row = model.row_of(domain_id)
        assert row is not None, f"{domain_id} is not listed"
        column = len(model.headers) - 1
        text = model.data(model.index(row, column), Qt.ItemDataRole.DisplayRole)
        assert isinstance(text, str)
        # What the table paints (one call for the visible rows) says the same.
        painted = model.cell_looks(range(model.rowCount()), [column])
        assert painted[row][0].text == text
        return text

    def operator_column(self) -> dict[str, str]:
        return {key: self.operator(key) for key in self.incidents.model.keys}

    def close(self) -> None:
        self.link.close()
        self.window.close()


def test_acknowledgement_and_notes_follow_merges_across_seeks_play_and_restart(
    qtbot: QtBot, settings_path: Path, tmp_path: Path
) -> None:
    history = tmp_path / "history.sqlite"
    first = Window(qtbot, settings_path, history)
    try:
        replay = first.open_demo(ACTED)
        incidents = first.incidents
        who = incidents.who
        assert {"D3", "D9", "D14"} <= set(incidents.model.keys)
        first.select("D9")
        assert incidents.acknowledge_selected() is not None
        first.select("D14")
        assert incidents.add_note(NOTE) is not None
        assert first.operator("D9") == f"✔ ack {who}"
        assert first.operator("D14") == "1 note"
        assert first.operator("D3") == "unacknowledged"

        # (1) seek forward past the merges: D3 shows D9's acknowledgement and D14's note
        first.seek(PAST)
        assert "D9" not in incidents.model.keys and "D14" not in incidents.model.keys
        assert first.operator("D3") == f"✔ ack {who} · 1 note"
        first.select("D3")
        detail = incidents.detail_text()
        assert detail.count(NOTE) == 1 and f"acknowledged by {who}" in detail
        assert "merged in: " in detail and "D9" in detail.split("merged in: ")[1].split("\n")[0]
        assert incidents.ack_button.text().startswith("Unacknowledge")
        assert incidents.acknowledge_selected() is None  # already acknowledged, as shown
        after_seek = first.operator_column()

        # (2) seek back before them: each shows its own again, D3 nothing of theirs
        first.seek(ACTED)
        assert first.operator("D9") == f"✔ ack {who}"
        assert first.operator("D14") == "1 note"
        assert first.operator("D3") == "unacknowledged"
        first.select("D3")
        assert NOTE not in incidents.detail_text()
        assert incidents.ack_button.text().startswith("Acknowledge")

        # (3) play through the merge: shown once, not doubled; the selection follows D9 into D3
        first.select("D9")
        replay.set_speed(100.0)
        replay.play()
        qtbot.waitUntil(lambda: replay.time > D9_INTO_D3 + 2, timeout=20_000)
        replay.pause()
        first.session.bridge.flush()
        assert "D9" not in incidents.model.keys
        assert first.operator("D3") == f"✔ ack {who} · 1 note"
        assert first.window.selection.domain == "D3"
        qtbot.waitUntil(lambda: "D3" in incidents.title.text(), timeout=10_000)
        assert incidents.detail_text().count(NOTE) == 1
        played = first.operator_column()
        first.seek(replay.time)  # the same time reached by a seek shows the same
        assert first.operator_column() == played
        first.seek(PAST)
        assert first.operator_column() == after_seek
        assert len(incidents.operator_log) == 2  # only what the operator did
        assert first.link.flush()
        assert not first.errors
        actions = incidents.operator_log.actions
    finally:
        first.close()

    # (4) a restart: the history's log replays to the same state at both times
    second = Window(qtbot, tmp_path / "second.ini", history)
    try:
        second.open_demo(PAST)
        assert second.incidents.operator_log.actions == actions
        assert second.operator_column() == after_seek
        second.seek(ACTED)
        assert second.operator("D9") == f"✔ ack {who}" and second.operator("D3") == "unacknowledged"
        assert second.link.flush()
    finally:
        second.close()


def test_an_opened_snapshot_shows_merged_acknowledgements_once(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    from core.operator import OperatorLog

    log = OperatorLog()
    log.acknowledge("D9", "night-shift", 1_900_000_000.0)
    log.note("D14", "night-shift", NOTE, 1_900_000_005.0)
    out = tmp_path / "merged.wfsnap"
    topology, records = load_topology(DEMO_TOPOLOGY), load_records(DEMO_REPLAY)
    export_snapshot(out, topology, records, SnapshotOptions(at=PAST, operator_actions=log.actions))
    incidents = window.views["incidents"]
    assert isinstance(incidents, IncidentsView)
    with qtbot.waitSignal(window.session.sig_loaded, timeout=30_000):
        window.session.open_snapshot(out)
    model = incidents.model
    row = model.row_of("D3")
    assert row is not None and model.row_of("D9") is None
    operator = model.data(model.index(row, len(model.headers) - 1), Qt.ItemDataRole.DisplayRole)
    assert operator == "✔ ack night-shift · 1 note"
    window.selection.set_domain("D3")
    qtbot.waitUntil(lambda: incidents.selected_domain == "D3", timeout=10_000)
    assert incidents.detail_text().count(NOTE) == 1
    assert incidents.read_only is not None and incidents.toggle_ack_selected() is None
