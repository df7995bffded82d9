"""A time range lists the domains open in it, closed ones too (muted, with when they closed)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from console.bridge import EngineBridge
from console.selection import Selection
from console.theme import Theme
from console.views.alert_store import short_time
from console.views.incidents import IncidentsView
from core.engine import Engine
from core.graph.topology import Topology
from core.model import Severity, Status, parse_time
from core.replay import ReplayPlayer
from tests.console.conftest import demo_incidents, event, feed

DISPLAY = Qt.ItemDataRole.DisplayRole


def row(view: IncidentsView, key: str) -> list[str]:
    r = view.model.row_of(key)
    assert r is not None, f"{key} is not listed"
    return [view.model.data(view.model.index(r, c), DISPLAY) for c in range(7)]


def test_a_range_lists_domains_that_closed_since(qtbot, theme: Theme, selection: Selection) -> None:
    bridge = EngineBridge(Engine(Topology.from_edges("abcd", [])))  # four unrelated components
    view = IncidentsView(bridge, theme, selection, who="alice")
    qtbot.addWidget(view)
    messages: list[str] = []
    view.sig_message.connect(messages.append)
    feed(bridge, event("a", at=100, severity=Severity.MAJOR))
    engine = bridge.engine
    a = engine.domain_of(engine.topology.index["a"])
    assert a is not None
    feed(bridge, event("b", at=400))
    feed(
        bridge,
        event("a", at=300, starts=100, ends=300, status=Status.RESOLVED, severity=Severity.MAJOR),
    )
    b = engine.domain_of(engine.topology.index["b"])
    assert view.model.keys == [b]  # no range: open domains only

    selection.set_time_range((50.0, 450.0))
    assert set(view.model.keys) == {a, b}
    cells = row(view, a)
    assert cells[:3] == ["◆ major", a, "1"]
    assert cells[3] == "a"  # a one-component domain is its own root cause
    assert cells[5] == f"closed {short_time(300)}"
    muted = theme.color("text_muted")
    a_row = view.model.row_of(a)
    assert a_row is not None
    index = view.model.index(a_row, 1)
    assert view.model.data(index, Qt.ItemDataRole.ForegroundRole) == muted
    assert "1 of 1 open domains, 1 closed since" in view.range_label.text()

    selection.set_time_range((350.0, 450.0))  # it closed before this range
    assert view.model.keys == [b]
    selection.set_time_range((50.0, 450.0))

    # Selected: the detail says what it was; notes yes, acknowledge and assign no.
    a_row = view.model.row_of(a)
    assert a_row is not None
    view.table.selectRow(a_row)
    assert view.selected_domain == a
    assert "closed" in str(view.title.text()) and "was major" in str(view.title.text())
    assert f"Closed at {short_time(300)}" in view.detail_text()
    assert "Components that alerted in it (1)\n  a" in view.detail_text()
    assert view.toggle_ack_selected() is None and view.assign_selected_to_me() is None
    assert messages[-1] == f"Cannot assign: {a} has closed."
    assert not view.ack_button.isEnabled() and view.note_button.isEnabled()
    assert view.add_note("postmortem: <b>disk</b> full") is not None
    assert "postmortem: <b>disk</b> full" in view.detail_text()
    assert "1 note" in row(view, a)[6]

    selection.set_time_range(None)
    assert view.model.keys == [b]


def test_closed_rows_after_a_backwards_seek_equal_a_straight_play(
    qtbot, demo_topology, demo_records
) -> None:
    def listed(player: ReplayPlayer, view: IncidentsView, bridge: EngineBridge) -> dict:
        selection = view.selection
        selection.set_time_range(
            (parse_time("2026-11-26T02:05:00Z"), parse_time("2026-11-26T02:35:00Z"))
        )
        shown = {k: row(view, k) for k in view.model.keys}
        selection.set_time_range(None)
        return shown

    views = [demo_incidents(qtbot, demo_topology, demo_records) for _ in range(2)]
    (played, played_bridge, played_view), (seeked, seeked_bridge, seeked_view) = views
    target = parse_time("2026-11-26T02:40:00Z")
    t = played.start_time
    assert t is not None
    while t < target:
        t = min(target, t + 20)
        played_bridge.push(played.advance(t))
        played_bridge.flush()
    seeked_bridge.push(seeked.advance(parse_time("2026-11-26T02:59:00Z")))
    seeked_bridge.flush()
    seeked_bridge.reset(seeked.seek(target))  # back: the engine is rebuilt

    expected = listed(played, played_view, played_bridge)
    closed = [k for k, cells in expected.items() if cells[5].startswith("closed")]
    assert closed, "domains that opened and closed between 02:05 and 02:40"
    assert listed(seeked, seeked_view, seeked_bridge) == expected
