"""Rejected and unmapped views: a malformed replay line shows up, the replay goes on, CSV export."""

from __future__ import annotations

import csv
from pathlib import Path

from PySide6.QtCore import Qt

from console.bridge import EngineBridge
from console.selection import Selection
from console.theme import Theme
from console.views.alerts import AlertsView
from console.views.records import RejectedView, UnmappedView, rejected_rows
from core.engine import Engine
from core.export import csv_safe_cell, export_csv
from core.model import Rejected, Status
from core.replay import ReplayPlayer
from tests.console.conftest import estate, event, feed


def play_all(player: ReplayPlayer, bridge: EngineBridge) -> None:
    assert player.start_time is not None and player.end_time is not None
    t = player.start_time
    while t < player.end_time:
        t = min(player.end_time, t + 60)
        bridge.push(player.advance(t))
        bridge.flush()


def test_demo_rejected_lines_show_and_replay_continues(
    qtbot, qtmodeltester, demo_topology, demo_records, tmp_path: Path
) -> None:
    player = ReplayPlayer(demo_topology, demo_records)
    bridge = EngineBridge(player.engine)
    theme, selection = Theme("dark"), Selection()
    rejected = RejectedView(bridge, theme, selection)
    alerts = AlertsView(bridge, theme, selection)
    qtbot.addWidget(rejected)
    qtbot.addWidget(alerts)
    qtmodeltester.check(rejected.model)
    play_all(player, bridge)
    model = rejected.model
    assert model.rowCount() == 4
    wheres = [model.data(model.index(r, 0), Qt.ItemDataRole.DisplayRole) for r in range(4)]
    assert all(w.startswith("line ") for w in wheres)
    assert {int(w.split()[1].rstrip(",")) for w in wheres} == {29, 88, 188, 241}
    # the stream went on past the bad lines: alerts after line 241 are in the table
    assert alerts.model.total == len(player.engine.alerts) == 100
    path = tmp_path / "rejected.csv"
    assert rejected.export(path) == 4
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["where", "reason", "raw"] and len(rows) == 5
    assert [r[0] for r in rows[1:]] == [r.where for r in model.records]

    # a seek rebuilds the engine: the view shows the rejects as of that time
    bridge.reset(player.seek(player.start_time + 20 * 60))  # type: ignore[operator]
    assert model.rowCount() == 1


def test_export_csv_neutralises_formulas(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    rows = [
        ("where", "reason", "raw"),
        ("line 1", '=HYPERLINK("http://evil")', "+1"),
        ("line 2", "-2+3", "@SUM(A1)"),
        ("line 3", "plain, with comma", "multi\nline"),
    ]
    assert export_csv(path, rows) == 4
    with path.open(encoding="utf-8", newline="") as handle:
        back = list(csv.reader(handle))
    assert back[1] == ["line 1", '\'=HYPERLINK("http://evil")', "'+1"]
    assert back[2] == ["line 2", "'-2+3", "'@SUM(A1)"]
    assert back[3] == ["line 3", "plain, with comma", "multi\nline"]
    assert csv_safe_cell(None) == "" and csv_safe_cell(3) == "3"
    assert not list(tmp_path.glob(".*.tmp"))  # atomic write left no temp file
    assert rejected_rows([Rejected("line 9", "=bad", "=raw")])[1] == ("line 9", "=bad", "=raw")


def test_unmapped_view_follows_alerts_and_exports(
    qtbot, qtmodeltester, theme: Theme, selection: Selection, tmp_path: Path
) -> None:
    bridge = EngineBridge(Engine(estate()))
    view = UnmappedView(bridge, theme, selection)
    qtbot.addWidget(view)
    qtmodeltester.check(view.model)
    feed(
        bridge,
        event("db", at=1),
        event("ghost-1", at=2, name="Orphan", extra={"zone": "=cmd|' /C calc'!A0"}),
        event("ghost-2", at=3, name="Stray"),
    )
    model = view.model
    assert model.rowCount() == 2
    labels_column = 3
    texts = [
        model.data(model.index(r, labels_column), Qt.ItemDataRole.DisplayRole) for r in range(2)
    ]
    assert any("service=ghost-1" in t for t in texts)
    feed(bridge, event("ghost-2", at=10, name="Stray", status=Status.RESOLVED, starts=3, ends=10))
    assert model.rowCount() == 1
    path = tmp_path / "unmapped.csv"
    assert view.export(path) == 1
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["fingerprint", "severity", "alertname", "starts", "labels"]
    assert rows[1][2] == "Orphan" and "zone==cmd" in rows[1][4]
    view.table.selectRow(0)
    assert selection.alert == model.keys[0]
    bridge.reset(Engine(estate()))
    assert model.rowCount() == 0


def test_demo_unmapped_alerts(qtbot, demo_topology, demo_records) -> None:
    player = ReplayPlayer(demo_topology, demo_records)
    bridge = EngineBridge(player.engine)
    view = UnmappedView(bridge, Theme("light"), Selection())
    qtbot.addWidget(view)
    assert player.start_time is not None
    bridge.push(player.advance(player.start_time + 45 * 60))
    bridge.flush()
    assert view.model.keys == player.engine.unmapped_firing
    assert view.model.rowCount() >= 1
