"""Topology canvas on the real demo: status follows the engine, blast radius, search, LOD."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from console.bridge import EngineBridge
from console.selection import Selection
from console.theme import Theme
from console.views.topology import LABEL_CAP, TopologyView
from core.graph.blast import blast_radius
from core.graph.loaders import load_topology
from core.graph.topology import Topology
from core.model import Severity, parse_time
from core.replay import ReplayPlayer
from core.timeline import Record, load_records

DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo"


@pytest.fixture(scope="module")
def parts() -> tuple[Topology, list[Record]]:
    return load_topology(DEMO / "topology.json"), load_records(DEMO / "alerts.ndjson.gz")


class Canvas:
    """A replay driving a real engine, bridge and canvas."""

    def __init__(self, qtbot: QtBot, tmp_path: Path, parts: tuple[Topology, list[Record]]):
        topology, records = parts
        self.topology = topology
        self.player = ReplayPlayer(topology, records)
        self.bridge = EngineBridge(self.player.engine)
        self.theme = Theme("dark")
        self.selection = Selection()
        self.view = TopologyView(self.bridge, self.theme, self.selection, layout_cache=tmp_path)
        qtbot.addWidget(self.view)
        self.view.resize(1000, 700)
        self.view.show()
        qtbot.waitUntil(lambda: self.view.positions is not None, timeout=10_000)

    def play_to(self, clock: str, step: float = 20.0) -> None:
        target = parse_time(clock)
        assert self.player.start_time is not None
        t = self.player.time or self.player.start_time
        while t < target:
            t = min(target, t + step)
            self.bridge.push(self.player.advance(t))
            self.bridge.flush()

    def expected_status(self) -> dict[int, Severity]:
        engine = self.player.engine
        return {
            node: max(engine.alerts[fp].severity for fp in engine.firing_on(node))
            for node in range(len(self.topology))
            if engine.firing_on(node)
        }


def placed(view: TopologyView) -> np.ndarray:
    assert view.positions is not None
    return view.positions


@pytest.fixture
def canvas(qtbot: QtBot, tmp_path: Path, parts) -> Canvas:
    return Canvas(qtbot, tmp_path, parts)


def test_nodes_are_coloured_by_alert_state_following_engine_deltas(canvas: Canvas) -> None:
    view, theme = canvas.view, canvas.theme
    assert view.drawn_fills() == {}
    for clock in ("2026-11-26T02:10:00Z", "2026-11-26T02:45:00Z", "2026-11-26T02:59:00Z"):
        canvas.play_to(clock)
        expected = canvas.expected_status()
        assert expected, clock
        assert {n: view.node_status(n) for n in expected} == expected
        drawn = view.drawn_fills()
        for node, severity in expected.items():
            assert drawn[node] == theme.severity_color(severity)
            assert view.node_color(node) == theme.severity_color(severity)
        # nodes that stopped alerting are drawn plain again (or as silent candidates)
        for node in set(drawn) - set(expected):
            assert drawn[node] == theme.color("surface_alt")
        quiet = next(n for n in range(len(canvas.topology)) if n not in expected)
        assert view.node_color(quiet) == theme.color("surface")


def test_theme_switch_recolours_alerting_nodes(canvas: Canvas) -> None:
    canvas.play_to("2026-11-26T02:20:00Z")
    node, severity = next(iter(canvas.expected_status().items()))
    canvas.theme.set_palette("light")
    assert canvas.view.drawn_fills()[node] == canvas.theme.severity_color(severity)


def test_selecting_a_domain_highlights_exactly_its_blast_radius(canvas: Canvas) -> None:
    canvas.play_to("2026-11-26T02:45:00Z")
    view, topology = canvas.view, canvas.topology
    domains = canvas.player.engine.domains()
    assert len(domains) >= 2
    assert sorted(view.domain_overlays()) == sorted(d.id for d in domains)
    for domain in domains:
        canvas.selection.set_domain(domain.id)
        members = {topology.index[m] for m in domain.members}
        expected = members | set(domain.impact.nodes.tolist())
        assert view.highlighted_nodes() == expected
        edges = {(i, j) for i in expected for j in topology.dependencies[i] if j in expected}
        assert view.highlighted_edges() == edges
        ranks = {c.component: rank for rank, c in enumerate(domain.root_causes, start=1)}
        assert view.root_cause_marks() == ranks
    canvas.selection.set_domain(None)
    assert view.highlighted_nodes() == set()
    assert view.root_cause_marks() == {}


def test_silent_root_cause_candidates_get_the_dashed_outline(canvas: Canvas) -> None:
    canvas.play_to("2026-11-26T02:45:00Z")
    engine, topology = canvas.player.engine, canvas.topology
    silent = {
        topology.index[c.component]
        for d in engine.domains()
        for c in d.root_causes
        if not c.alerting
    }
    assert silent, "the demo at 02:45 has silent candidates"
    pens = {node: pen for node, (pen, _) in canvas.view.drawn_marks().items() if pen is not None}
    for node in silent:
        assert pens[node].style() == Qt.PenStyle.DashLine
    for node in canvas.expected_status():
        assert pens[node].style() == Qt.PenStyle.SolidLine


def test_clicking_a_node_selects_it_and_highlights_its_blast_radius(
    canvas: Canvas, qtbot: QtBot
) -> None:
    canvas.play_to("2026-11-26T02:30:00Z")
    view = canvas.view
    node = canvas.topology.index["orders-db-primary"]
    view.focus_component("orders-db-primary")
    canvas.selection.set_component(None)
    qtbot.wait(50)
    x, y = placed(view)[node]
    scene = view.viewbox.mapViewToScene(pg_point(x, y))
    where = view.canvas.mapFromScene(scene)
    qtbot.mouseClick(view.canvas.viewport(), Qt.MouseButton.LeftButton, pos=where)
    assert canvas.selection.component == "orders-db-primary"
    assert view.highlighted_nodes() == set(blast_radius(canvas.topology, [node]).nodes.tolist())
    domain = canvas.player.engine.domain_of(node)
    assert domain is not None
    view_of_domain = canvas.player.engine.domain(domain)
    assert view_of_domain is not None
    assert set(view.root_cause_marks()) == {c.component for c in view_of_domain.root_causes}
    qtbot.keyClick(view.canvas, Qt.Key.Key_Escape)
    assert canvas.selection.component is None
    assert view.highlighted_nodes() == set()


def pg_point(x: float, y: float):
    from PySide6.QtCore import QPointF

    return QPointF(float(x), float(y))


def test_search_focuses_and_selects_a_component(canvas: Canvas, qtbot: QtBot) -> None:
    view = canvas.view
    focused: list[str] = []
    canvas.selection.sig_focus_requested.connect(focused.append)
    view.activateWindow()
    view.focus_search()
    qtbot.waitUntil(view.search_box.hasFocus)
    qtbot.keyClicks(view.search_box, "TOR-R03")
    qtbot.keyClick(view.search_box, Qt.Key.Key_Return)
    assert canvas.selection.component == "tor-r03"
    assert focused == ["tor-r03"]
    (x0, x1), (y0, y1) = view.viewbox.viewRange()
    x, y = placed(view)[canvas.topology.index["tor-r03"]]
    assert abs((x0 + x1) / 2 - x) < 1e-6 and abs((y0 + y1) / 2 - y) < 1e-6
    # the completer offers ids and names containing what was typed
    model = view.search_box.completer().model()
    entries = {model.index(i, 0).data() for i in range(model.rowCount())}
    assert {"tor-r03", "orders-db-primary"} <= entries


def test_focus_requested_elsewhere_centres_the_canvas(canvas: Canvas) -> None:
    canvas.selection.focus("cache-sessions")
    view = canvas.view
    (x0, x1), _ = view.viewbox.viewRange()
    x, _ = placed(view)[canvas.topology.index["cache-sessions"]]
    assert abs((x0 + x1) / 2 - x) < 1e-6
    assert canvas.selection.component == "cache-sessions"


def test_names_appear_only_when_zoomed_in(canvas: Canvas, qtbot: QtBot) -> None:
    canvas.play_to("2026-11-26T02:45:00Z")
    view = canvas.view
    settle: Callable[[], None] = lambda: qtbot.wait(80)  # noqa: E731
    view.fit()
    view.zoom(0.4)
    settle()
    assert view.spacing_px() < 16
    assert view.visible_labels() == []
    view.focus_component("tor-r03")
    settle()
    assert view.spacing_px() >= 42
    names = view.visible_labels()
    assert "tor-r03" in names
    assert 10 < len(names) <= LABEL_CAP
    quiet = [n for n in names if canvas.topology.index[n] not in canvas.expected_status()]
    assert quiet, "zoomed in, non-alerting components are named too"


def test_keyboard_pans_zooms_and_fits(canvas: Canvas, qtbot: QtBot) -> None:
    view = canvas.view
    view.fit()
    (x0, x1), _ = view.viewbox.viewRange()
    qtbot.keyClick(view.canvas, Qt.Key.Key_Plus)
    (a0, a1), _ = view.viewbox.viewRange()
    assert (a1 - a0) < (x1 - x0) * 0.9
    qtbot.keyClick(view.canvas, Qt.Key.Key_Right)
    (b0, _), _ = view.viewbox.viewRange()
    assert b0 > a0
    qtbot.keyClick(view.canvas, Qt.Key.Key_F)
    (c0, c1), _ = view.viewbox.viewRange()
    assert np.isclose(c1 - c0, x1 - x0)


def test_engine_reset_after_a_backwards_seek_restores_the_state(canvas: Canvas) -> None:
    canvas.play_to("2026-11-26T02:50:00Z")
    engine = canvas.player.seek(parse_time("2026-11-26T02:15:00Z"))
    canvas.bridge.reset(engine)
    expected = canvas.expected_status()
    drawn = canvas.view.drawn_fills()
    assert {n for n in drawn if n in expected} == set(expected)
    assert sorted(canvas.view.domain_overlays()) == sorted(engine.domain_ids())


def test_layout_progress_is_reported_and_cached(qtbot: QtBot, tmp_path: Path, parts) -> None:
    first = Canvas(qtbot, tmp_path, parts)
    assert list(tmp_path.glob("*.npy"))
    second = Canvas(qtbot, tmp_path, parts)
    assert np.array_equal(placed(first.view), placed(second.view))
    assert second.view.progress.isHidden()


def test_domain_labels_follow_the_domains_as_they_change(canvas: Canvas) -> None:
    # labels are pooled and refilled: each refresh must show exactly the current domains
    view = canvas.view
    for clock in ("2026-11-26T02:20:00Z", "2026-11-26T02:45:00Z", "2026-11-26T02:59:00Z"):
        canvas.play_to(clock)
        texts = view._domains.label_texts()
        assert [t.split(" ")[0] for t in texts] == view.domain_overlays()
        engine = canvas.player.engine
        for text, domain_id in zip(texts, view.domain_overlays(), strict=True):
            domain = engine.domain(domain_id)
            assert domain is not None
            assert text.endswith(domain.severity.label)
