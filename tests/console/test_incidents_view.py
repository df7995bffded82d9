"""Incidents: domains list follows deltas in place, keeps the selection, operator actions."""

from __future__ import annotations

from PySide6.QtCore import Qt

from console.bridge import EngineBridge
from console.selection import Selection
from console.theme import Theme
from console.views.incidents import IncidentsView
from console.views.incidents_text import PENDING, SILENT_GLYPH, root_cause_text
from core.engine import Engine
from core.graph.topology import Topology
from core.model import Status
from core.operator import ActionKind, OperatorLog
from core.replay import ReplayPlayer
from tests.console.conftest import estate, event, feed

DISPLAY = Qt.ItemDataRole.DisplayRole


def row_texts(view: IncidentsView, row: int) -> list[str]:
    model = view.model
    return [model.data(model.index(row, c), DISPLAY) for c in range(model.columnCount())]


def test_domains_follow_deltas_and_selection_stays_on_the_same_id(
    qtbot, qtmodeltester, bridge: EngineBridge, theme: Theme, selection: Selection
) -> None:
    view = IncidentsView(bridge, theme, selection, who="alice")
    qtbot.addWidget(view)
    qtmodeltester.check(view.model)
    feed(bridge, event("lonely", at=1))
    feed(bridge, event("db", at=2), event("api", at=3))
    model = view.model
    assert model.rowCount() == 2
    assert model.keys == bridge.engine.domain_ids() or model.keys == [
        d.id for d in bridge.engine.domains()
    ]
    lonely_domain = bridge.engine.domain_of(bridge.engine.topology.index["lonely"])
    row = model.row_of(lonely_domain)
    assert row is not None
    view.table.selectRow(row)
    assert selection.domain == lonely_domain

    # the db domain grows (changed in place) and sorts first; selection stays on lonely's
    feed(bridge, event("web", at=4), event("disk", at=5))
    assert view.selected_domain == lonely_domain
    assert model.keys == [d.id for d in bridge.engine.domains()]
    big = model.keys[0]
    assert row_texts(view, 0)[2] == str(bridge.engine.domain(big).size)  # type: ignore[union-attr]

    # closing a domain removes its row; the selection does not jump to a neighbour
    feed(bridge, event("lonely", at=10, status=Status.RESOLVED, starts=1, ends=10))
    assert model.row_of(lonely_domain) is None
    assert view.selected_domain is None
    assert "closed" in view.title.text()

    bridge.reset(Engine(estate()))
    assert model.rowCount() == 0


def test_acknowledge_assign_note_update_the_row(
    qtbot, bridge: EngineBridge, theme: Theme, selection: Selection
) -> None:
    log = OperatorLog()
    view = IncidentsView(bridge, theme, selection, operator_log=log, who="alice")
    qtbot.addWidget(view)
    assert view.operator_log is log
    feed(bridge, event("db", at=1))
    assert view.acknowledge_selected() is None  # nothing selected
    domain_id = view.model.keys[0]
    selection.set_domain(domain_id)
    assert view.selected_domain == domain_id
    changed: list[int] = []
    view.model.dataChanged.connect(lambda a, _b, _r=(): changed.append(a.row()))
    action = view.acknowledge_selected()
    assert action is not None and action.kind is ActionKind.ACKNOWLEDGE
    assert action.who == "alice" and changed == [0]
    assert row_texts(view, 0)[-1] == "✔ ack alice"
    assert view.acknowledge_selected() is None  # already acknowledged
    view.assign_selected_to_me()
    view.add_note("checked <b>power</b>")
    assert row_texts(view, 0)[-1] == "✔ ack alice · → alice · 1 note"
    assert "checked <b>power</b>" in view.detail_text()
    assert view.ack_button.text().startswith("Unacknowledge")
    view.toggle_ack_selected()
    assert not log.state(domain_id).acknowledged
    assert [a.kind for a in log.actions] == [
        ActionKind.ACKNOWLEDGE,
        ActionKind.ASSIGN,
        ActionKind.NOTE,
        ActionKind.UNACKNOWLEDGE,
    ]


def test_demo_domains_silent_root_cause_detail_and_timeline(
    qtbot, demo_topology, demo_records
) -> None:
    player = ReplayPlayer(demo_topology, demo_records)
    bridge = EngineBridge(player.engine)
    selection = Selection()
    view = IncidentsView(bridge, Theme("dark"), selection, who="alice")
    qtbot.addWidget(view)
    assert player.start_time is not None
    t = player.start_time
    while t < player.start_time + 45 * 60:
        t += 30
        bridge.push(player.advance(t))
        bridge.flush()
    domains = player.engine.domains()
    assert view.model.keys == [d.id for d in domains]
    silent = [d for d in domains if d.root_causes and not d.root_causes[0].alerting]
    assert silent, "the demo at 02:45 has a domain with a silent top candidate"
    row = view.model.row_of(silent[0].id)
    assert row is not None
    cause = row_texts(view, row)[3]
    assert cause.startswith(SILENT_GLYPH) and "(silent)" in cause
    selection.set_domain(silent[0].id)
    text = view.detail_text()
    assert "Root causes (ranked)" in text and "(silent: raises no alert)" in text
    assert f"Impact: {len(silent[0].impact)} components not alerting" in text
    assert "Timeline" in text and " start " in text
    for member in silent[0].members[:3]:
        assert member in text


def test_operator_state_and_selection_follow_a_merge(
    qtbot, bridge: EngineBridge, theme: Theme, selection: Selection
) -> None:
    log = OperatorLog()
    view = IncidentsView(bridge, theme, selection, operator_log=log, who="alice")
    qtbot.addWidget(view)
    feed(bridge, event("web", at=1))  # the older domain
    feed(bridge, event("disk", at=2))  # not adjacent to web: a second domain
    engine = bridge.engine
    older = engine.domain_of(engine.topology.index["web"])
    younger = engine.domain_of(engine.topology.index["disk"])
    assert older and younger and older != younger
    selection.set_domain(younger)
    view.acknowledge_selected()
    view.add_note("disk array rebuilding")
    assert row_texts(view, view.model.row_of(older))[-1] == "unacknowledged"  # type: ignore[arg-type]

    # db alerts: it joins disk, and api (silent, between web and db) ties web in: one domain
    feed(bridge, event("db", at=3))
    assert engine.domain_ids() == [older]
    assert view.model.keys == [older]
    # shown on the surviving domain, derived from the engine's merges: nothing copied in the log
    state = view.shown_state(older)
    assert state.acked_by == "alice" and [n.text for n in state.notes] == ["disk array rebuilding"]
    assert not log.state(older).acknowledged and len(log) == 2
    assert row_texts(view, 0)[-1] == "✔ ack alice · 1 note"
    assert selection.domain == older and view.selected_domain == older
    text = view.detail_text()
    assert "disk array rebuilding" in text and f"merged in: {younger}" in text


def test_time_range_shows_the_domains_active_in_it(
    qtbot, theme: Theme, selection: Selection
) -> None:
    bridge = EngineBridge(Engine(Topology.from_edges("abcd", [])))  # four unrelated components
    view = IncidentsView(bridge, theme, selection, who="alice")
    qtbot.addWidget(view)
    feed(bridge, event("a", at=100))
    feed(bridge, event("b", at=400))
    feed(bridge, event("c", at=700))
    engine = bridge.engine
    ids = {c: engine.domain_of(engine.topology.index[c]) for c in "abc"}
    assert view.model.rowCount() == 3 and view.range_label.isHidden()

    selection.set_time_range((50.0, 450.0))
    assert set(view.model.keys) == {ids["a"], ids["b"]}
    assert not view.range_label.isHidden()
    assert "2 of 3 open domains" in view.range_label.text()
    selection.set_time_range((0.0, 60.0))  # before anything fired
    assert view.model.keys == []
    selection.set_time_range((300.0, 900.0))
    assert set(view.model.keys) == set(ids.values())

    # A selected domain the range hides stays selected elsewhere and in the detail pane.
    selection.set_domain(ids["c"])
    selection.set_time_range((0.0, 200.0))
    assert view.model.keys == [ids["a"]]
    title = str(view.title.text())
    assert view.selected_domain is None and str(ids["c"]) in title
    assert "closed" not in title
    feed(bridge, event("d", at=800))  # a new domain, active only after the range
    assert view.model.keys == [ids["a"]]
    assert "1 of 4 open domains" in view.range_label.text()

    selection.set_time_range(None)
    assert view.model.rowCount() == 4 and view.range_label.isHidden()


def test_a_large_domain_row_fills_in_when_its_ranking_lands(
    qtbot, theme: Theme, selection: Selection
) -> None:
    ids = [f"c{i}" for i in range(90)]
    topology = Topology.from_edges(ids, [(ids[i + 1], ids[i]) for i in range(89)])
    bridge = EngineBridge(Engine(topology))
    view = IncidentsView(bridge, theme, selection, who="alice")
    qtbot.addWidget(view)
    with qtbot.waitSignal(bridge.views.sig_ready, timeout=10_000):
        feed(bridge, *(event(c, at=float(i)) for i, c in enumerate(ids[:80])))
        assert row_texts(view, 0)[3] == PENDING  # ranked off the GUI thread
        assert row_texts(view, 0)[2] == "80"  # severity, size, age need no ranking
    (domain,) = engine_from(topology, ids[:80]).domains()
    assert row_texts(view, 0)[3] == root_cause_text(domain) and domain.root_causes
    assert row_texts(view, 0)[4] == str(len(domain.impact))
    bridge.shutdown()


def engine_from(topology: Topology, components: list[str]) -> Engine:
    engine = Engine(topology)
    engine.apply([event(c, at=float(i)) for i, c in enumerate(components)])
    return engine


class _ReadOnlySource:
    """What a snapshot source looks like to the view: a name, read-only, a snapshot."""

    name = "night.wfsnap"
    read_only = True

    def __init__(self, actions: list) -> None:
        self.snapshot = type("Snap", (), {"operator": actions})()


def test_each_source_has_its_own_log_and_a_snapshot_is_read_only(
    qtbot, bridge: EngineBridge, theme: Theme, selection: Selection
) -> None:
    from core.operator import OperatorAction

    handed_in = OperatorLog()
    view = IncidentsView(bridge, theme, selection, operator_log=handed_in, who="alice")
    qtbot.addWidget(view)
    feed(bridge, event("db", at=1))
    domain_id = view.model.keys[0]
    selection.set_domain(domain_id)
    view.add_note("from the first replay")
    # a snapshot: its own actions (a bad hand-made row skipped), read-only
    actions = [
        OperatorAction(ActionKind.ACKNOWLEDGE, domain_id, "bob", 5.0),
        OperatorAction(ActionKind.NOTE, domain_id, "bob", 6.0, "disk full"),
        OperatorAction(ActionKind.NOTE, domain_id, "", 7.0, "nobody wrote this"),
    ]
    view.source_changed(_ReadOnlySource(actions))
    assert view.operator_log is not handed_in and len(handed_in) == 1  # untouched
    assert [a.text for a in view.operator_log.actions] == ["", "disk full"]
    assert view.read_only is not None and "night.wfsnap" in view.read_only
    assert row_texts(view, 0)[6] == "\u2714 ack bob · 1 note"
    assert "disk full" in view.detail_text() and "from the first replay" not in view.detail_text()
    with qtbot.waitSignal(view.sig_message) as blocker:
        assert view.toggle_ack_selected() is None
    assert blocker.args == [
        "Cannot acknowledge: night.wfsnap is a read-only snapshot: "
        "its notes and acknowledgements cannot be changed."
    ]
    assert view.operator_log.state(domain_id).acked_by == "bob"
    # the next source starts empty and writable, in the same log object (subscribers stay)
    log = view.operator_log
    seen: list[OperatorAction] = []
    log.subscribe(seen.append)
    view.source_changed(None)
    assert view.operator_log is log and len(log) == 0 and view.read_only is None
    assert row_texts(view, 0)[6] == "unacknowledged"
    assert view.acknowledge_selected() is not None
    assert [a.who for a in seen] == ["alice"]
