"""Canvas status marks: incremental restyling equals a full redraw; time range dimming."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from console.bridge import EngineBridge
from console.views.alert_store import AlertFilter, AlertStore
from console.views.topology import TopologyView
from core.engine import Engine
from core.graph.loaders import load_topology
from core.graph.topology import Topology
from core.model import Severity, parse_time
from core.timeline import Record, load_records
from tests.console.test_topology_view import DEMO, Canvas


@pytest.fixture(scope="module")
def parts() -> tuple[Topology, list[Record]]:
    return load_topology(DEMO / "topology.json"), load_records(DEMO / "alerts.ndjson.gz")


@pytest.fixture
def canvas(qtbot: QtBot, tmp_path: Path, parts: tuple[Topology, list[Record]]) -> Canvas:
    return Canvas(qtbot, tmp_path, parts)


def fresh_view(qtbot: QtBot, canvas: Canvas, tmp_path: Path) -> TopologyView:
    """A second canvas opened on the same engine and selection: drawn in one full pass."""
    bridge = EngineBridge(canvas.player.engine)
    view = TopologyView(bridge, canvas.theme, canvas.selection, layout_cache=tmp_path)
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.show()
    qtbot.waitUntil(lambda: view.positions is not None, timeout=10_000)
    return view


def assert_same_arrays(incremental: TopologyView, full: TopologyView) -> None:
    mine, expected = incremental.status_arrays(), full.status_arrays()
    assert mine.keys() == expected.keys()
    for name in expected:
        assert np.array_equal(mine[name], expected[name]), name


def in_range_components(engine: Engine, start: float, end: float) -> set[int]:
    """Components of the rows the alerts table shows for this time range."""
    store = AlertStore(engine)
    rows = np.flatnonzero(store.mask(AlertFilter(time_range=(start, end))))
    components = store.column("component")[rows]
    return set(components[components >= 0].tolist())


def test_incremental_status_equals_a_full_redraw(
    canvas: Canvas, qtbot: QtBot, tmp_path: Path
) -> None:
    view = canvas.view
    checkpoints = ("2026-11-26T02:10:00Z", "2026-11-26T02:45:00Z", "2026-11-26T02:59:00Z")
    for clock in checkpoints:
        canvas.play_to(clock, step=7.0)  # many small flushes, each restyling what it touched
        full = fresh_view(qtbot, canvas, tmp_path)
        assert_same_arrays(view, full)
        arrays = view.status_arrays()
        expected = canvas.expected_status()
        assert {int(n) for n in np.flatnonzero(arrays["severity"])} == set(expected)
        for node, severity in expected.items():
            assert arrays["severity"][node] == int(severity)
            assert arrays["badge_style"][node] >= 0  # every alerting node has its badge
        full.close()
    # with a focused domain (fading outside its blast radius) and live updates on top
    domain = canvas.player.engine.domains()[0]
    canvas.selection.set_domain(domain.id)
    assert view.faded_nodes(), "a focused domain fades the rest"
    canvas.play_to("2026-11-26T03:02:00Z", step=7.0)
    full = fresh_view(qtbot, canvas, tmp_path)
    assert_same_arrays(view, full)


def test_resolved_nodes_lose_their_marks_and_badges(canvas: Canvas) -> None:
    canvas.play_to("2026-11-26T02:45:00Z")
    before = set(canvas.expected_status())
    canvas.play_to("2026-11-26T04:00:00Z", step=30.0)
    now = canvas.expected_status()
    arrays = canvas.view.status_arrays()
    for node in before - set(now):
        assert arrays["severity"][node] == 0
        assert arrays["badge_style"][node] < 0
        if not arrays["silent"][node]:
            assert arrays["mark_style"][node] < 0
    assert set(canvas.view.drawn_marks()) >= set(now)


def test_time_range_emphasizes_nodes_with_alerts_in_it_and_fades_the_rest(
    canvas: Canvas,
) -> None:
    view, engine = canvas.view, canvas.player.engine
    canvas.play_to("2026-11-26T02:45:00Z")
    start, end = parse_time("2026-11-26T02:05:00Z"), parse_time("2026-11-26T02:20:00Z")
    canvas.selection.set_time_range((start, end))
    expected = in_range_components(engine, start, end)
    everything = set(range(len(canvas.topology)))
    assert expected and expected != everything
    assert view.nodes_in_time_range() == expected
    assert view.faded_nodes() == everything - expected
    fills = view.drawn_fills()
    for node, severity in canvas.expected_status().items():
        colour = canvas.theme.severity_color(severity)
        if node in expected:
            assert fills[node] == colour
        else:  # alerting now but not in the range: drawn faded
            assert fills[node].rgb() == colour.rgb() and fills[node].alpha() < 255
    assert "in range" in view.summary.text()

    # a range reaching past the replay clock: alerts that start as the replay goes on join it
    late = (parse_time("2026-11-26T02:40:00Z"), parse_time("2026-11-26T03:05:00Z"))
    canvas.selection.set_time_range(late)
    before = in_range_components(engine, *late)
    assert view.nodes_in_time_range() == before
    canvas.play_to("2026-11-26T03:10:00Z")
    expected = in_range_components(engine, *late)
    assert expected != before
    assert view.nodes_in_time_range() == expected
    assert view.faded_nodes() == everything - expected

    # clearing the range brings everything back
    canvas.selection.set_time_range(None)
    assert view.nodes_in_time_range() == set()
    assert view.faded_nodes() == set()
    for node, severity in canvas.expected_status().items():
        assert view.drawn_fills()[node] == canvas.theme.severity_color(severity)


def test_time_range_and_focus_fade_together(canvas: Canvas) -> None:
    view, engine = canvas.view, canvas.player.engine
    canvas.play_to("2026-11-26T02:45:00Z")
    domain = engine.domains()[0]
    canvas.selection.set_domain(domain.id)
    radius = view.highlighted_nodes()
    start, end = parse_time("2026-11-26T02:05:00Z"), parse_time("2026-11-26T02:20:00Z")
    canvas.selection.set_time_range((start, end))
    in_range = in_range_components(engine, start, end)
    everything = set(range(len(canvas.topology)))
    assert view.faded_nodes() == everything - (radius & in_range)
    canvas.selection.set_time_range(None)
    assert view.faded_nodes() == everything - radius
    assert view.highlighted_nodes() == radius


def test_badges_follow_severity(canvas: Canvas) -> None:
    canvas.play_to("2026-11-26T02:59:00Z")
    arrays = canvas.view.status_arrays()
    shapes: dict[Severity, set[int]] = {}
    for node, severity in canvas.expected_status().items():
        shapes.setdefault(severity, set()).add(int(arrays["badge_shape"][node]))
    assert all(len(found) == 1 for found in shapes.values())  # one badge shape per severity
    if Severity.CRITICAL in shapes and Severity.MAJOR in shapes:
        assert shapes[Severity.CRITICAL] != shapes[Severity.MAJOR]
