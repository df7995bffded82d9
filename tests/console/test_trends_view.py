"""Trends on the real demo replay: series after seeking, hover read-out, time range selection."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QFontMetricsF, QImage, QPainter
from pytestqt.qtbot import QtBot

from console.bridge import EngineBridge
from console.selection import Selection
from console.theme import Theme
from console.views.trends import (
    SEVERITIES,
    TALL_PLOT_PX,
    TrendsView,
    nice_ceiling,
    tick_text,
)
from core.graph.loaders import load_topology
from core.graph.topology import Topology
from core.model import parse_time
from core.replay import ReplayPlayer
from core.timeline import Record, load_records

DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo"


@pytest.fixture(scope="module")
def parts() -> tuple[Topology, list[Record]]:
    return load_topology(DEMO / "topology.json"), load_records(DEMO / "alerts.ndjson.gz")


class Trends:
    def __init__(self, qtbot: QtBot, parts: tuple[Topology, list[Record]]) -> None:
        topology, records = parts
        self.player = ReplayPlayer(topology, records)
        self.bridge = EngineBridge(self.player.engine)
        self.selection = Selection()
        self.theme = Theme("dark")
        self.view = TrendsView(self.bridge, self.theme, self.selection)
        qtbot.addWidget(self.view)
        self.view.resize(900, 600)
        self.view.show()

    def play_to(self, clock: str, step: float = 15.0) -> None:
        target = parse_time(clock)
        assert self.player.start_time is not None
        t = self.player.time or self.player.start_time
        while t < target:
            t = min(target, t + step)
            self.bridge.push(self.player.advance(t))
            self.bridge.flush()
        self.view.refresh()


def assert_same_series(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_series_after_seeking_backwards_equal_a_fresh_play(qtbot: QtBot, parts) -> None:
    seeked = Trends(qtbot, parts)
    seeked.play_to("2026-11-26T02:55:00Z")
    later = seeked.view.series_snapshot()
    at = "2026-11-26T02:30:00Z"
    seeked.bridge.reset(seeked.player.seek(parse_time(at)))
    fresh = Trends(qtbot, parts)
    fresh.play_to(at)
    expected = fresh.view.series_snapshot()
    got = seeked.view.series_snapshot()
    assert_same_series(got, expected)
    assert got["time"][-1] == parse_time(at)
    # the series really changed with the seek, and something was firing
    assert len(later["time"]) > len(got["time"])
    assert sum(got[s.label].sum() for s in SEVERITIES) > 0
    assert np.nanmax(got["domains"]) >= 1


def test_firing_series_equal_the_engine_alert_intervals(qtbot: QtBot, parts) -> None:
    trends = Trends(qtbot, parts)
    trends.play_to("2026-11-26T02:45:00Z")
    snapshot = trends.view.series_snapshot()
    engine = trends.player.engine
    clock = engine.clock
    assert clock is not None
    minute = int(parse_time("2026-11-26T02:40:00Z") // 60)
    row = int(np.flatnonzero(snapshot["time"] == minute * 60)[0])
    # alerts whose only episode overlaps the minute (re-fired alerts keep history the
    # engine no longer has, so they are left out of this cross-check)
    for severity in SEVERITIES:
        single = [
            a
            for a in engine.alerts.values()
            if a.severity == severity and a.episodes == 1 and a.starts_at <= clock
        ]
        overlapping = sum(
            1
            for a in single
            if a.starts_at < (minute + 1) * 60
            and (a.firing or a.ends_at is None or a.ends_at > minute * 60)
        )
        assert snapshot[severity.label][row] >= overlapping


def test_live_scrolling_follows_the_clock(qtbot: QtBot, parts) -> None:
    trends = Trends(qtbot, parts)
    trends.play_to("2026-11-26T02:20:00Z")
    (_, right) = trends.view.plots[0].vb.viewRange()[0]
    assert right == pytest.approx(parse_time("2026-11-26T02:20:00Z") + 60, abs=1)
    trends.play_to("2026-11-26T02:40:00Z")
    (_, right) = trends.view.plots[0].vb.viewRange()[0]
    assert right == pytest.approx(parse_time("2026-11-26T02:40:00Z") + 60, abs=1)
    for plot in trends.view.plots:
        assert plot.getAxis("bottom").utcOffset == 0


def test_following_plots_show_every_value_under_a_round_ceiling(qtbot: QtBot, parts) -> None:
    trends = Trends(qtbot, parts)
    for clock in ("2026-11-26T02:20:00Z", "2026-11-26T02:45:00Z"):
        trends.play_to(clock)
        snapshot = trends.view.series_snapshot()
        (left, right), _ = trends.view.plots[0].vb.viewRange()
        shown = (snapshot["time"] >= left - 60) & (snapshot["time"] <= right)
        firing = np.stack([snapshot[s.label] for s in SEVERITIES])[:, shown]
        values = (firing, snapshot["domains"][shown], snapshot["ingest"][shown])
        for plot, series in zip(trends.view.plots, values, strict=True):
            _, (low, high) = plot.vb.viewRange()
            top = float(np.nanmax(series))
            assert top > 0
            assert low == 0 and top < high == nice_ceiling(top)
            mantissa = high / 10 ** np.floor(np.log10(high))
            assert mantissa in (1.0, 2.0, 2.5, 5.0)


@pytest.mark.parametrize("height", [600, 240])
def test_y_axis_labels_never_overlap_however_short_the_plots(
    qtbot: QtBot, parts, height: int
) -> None:
    """What each y axis draws: at least one label, none over another (in a short window
    pyqtgraph's own ticks printed 0.4 over 0.6); a short plot labels half its ceiling."""
    trends = Trends(qtbot, parts)
    trends.view.resize(900, height)
    qtbot.wait(50)
    trends.play_to("2026-11-26T02:20:00Z")
    for plot in trends.view.plots:
        axis = plot.getAxis("left")
        image = QImage(200, 1000, QImage.Format.Format_ARGB32)
        painter = QPainter(image)
        try:
            specs = axis.generateDrawSpecs(painter)  # what the axis draws, in its pixels
            line = QFontMetricsF(painter.font()).height()  # the font the axis measured with
        finally:
            painter.end()
        assert specs is not None
        texts = sorted((rect.top(), rect.bottom(), text) for rect, _, text in specs[2])
        for (_, bottom, _), (top, _, _) in itertools.pairwise(texts):
            assert bottom <= top, (height, texts)  # no two labels overlap
        if plot.vb.height() >= TALL_PLOT_PX:
            assert len(texts) >= 2
        elif plot.vb.height() > line:  # a label fits (the suite's font may be scaled up)
            _, (_low, high) = plot.vb.viewRange()
            assert [text for *_, text in texts] == [tick_text(high / 2)]


@pytest.mark.parametrize(
    ("value", "ceiling"),
    [
        (0.0, 1.0),
        (0.5, 1.0),
        (1.0, 2.0),
        (9.0, 10.0),
        (18.0, 20.0),
        (20.0, 25.0),
        (44, 50.0),
        (460.0, 1000.0),
        (1234.0, 2000.0),
        (2200.0, 2500.0),
    ],
)
def test_nice_ceiling_leaves_a_tenth_of_head_room(value: float, ceiling: float) -> None:
    assert nice_ceiling(value) == ceiling


def test_hover_reads_out_the_values_under_the_cursor(qtbot: QtBot, parts) -> None:
    trends = Trends(qtbot, parts)
    trends.play_to("2026-11-26T02:45:00Z")
    view = trends.view
    plot = view.plots[0]
    at = parse_time("2026-11-26T02:40:30Z")
    scene = plot.vb.mapViewToScene(QPointF(at, 1.0))
    with qtbot.waitSignal(view.sig_readout_changed) as signal:
        view.graphics.scene().sigMouseMoved.emit(scene)
    text = signal.args[0]
    assert text == view.readout.text()
    assert text.startswith("2026-11-26T02:40:00")
    snapshot = view.series_snapshot()
    row = int(np.flatnonzero(snapshot["time"] == parse_time("2026-11-26T02:40:00Z"))[0])
    assert f"critical {int(snapshot['critical'][row])}" in text
    assert f"open domains {int(snapshot['domains'][row])}" in text


def test_time_range_selection_sets_and_clears_the_selection(qtbot: QtBot, parts) -> None:
    trends = Trends(qtbot, parts)
    trends.play_to("2026-11-26T02:45:00Z")
    view, selection = trends.view, trends.selection
    start, end = parse_time("2026-11-26T02:20:00Z"), parse_time("2026-11-26T02:30:00Z")
    view.select_range(start, end)
    assert selection.time_range == (start, end)
    # dragging the region (what the mouse does) updates the selection when released
    assert view._region is not None
    view._region.setRegion((start + 60, end + 120))
    view._region.sigRegionChangeFinished.emit(view._region)
    assert selection.time_range == (start + 60, end + 120)
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    assert selection.time_range is None
    assert view._region is None
    # a range chosen elsewhere shows here without echoing back
    selection.set_time_range((start, end))
    assert view._region is not None
    assert tuple(view._region.getRegion()) == (start, end)
    selection.set_time_range(None)
    assert view._region is None


def test_engine_reset_to_an_empty_engine_clears_the_series(qtbot: QtBot, parts) -> None:
    trends = Trends(qtbot, parts)
    trends.play_to("2026-11-26T02:10:00Z")
    from core.engine import Engine

    trends.bridge.reset(Engine(trends.player.topology))
    assert trends.view.series_snapshot()["time"].size == 0


def test_minutes_before_the_session_come_from_the_history(qtbot: QtBot, tmp_path) -> None:
    from core.engine import Engine
    from core.history.reader import HistoryReader
    from core.history.recorder import import_records
    from core.history.writer import HistoryWriter, SourceInfo
    from core.model import Severity, Status
    from tests.builders import estate, event

    # yesterday's shift: db critical from minute 10 to 20, api major at minute 12
    earlier = [
        event("db", at=600.0),
        event("api", at=725.0, severity=Severity.MAJOR),
        event("api", at=790.0, status=Status.RESOLVED, ends=790.0, severity=Severity.MAJOR),
        event("db", at=1230.0, status=Status.RESOLVED, ends=1230.0),
    ]
    path = tmp_path / "history.sqlite"
    writer = HistoryWriter(path)
    import_records(writer, SourceInfo("earlier", "earlier"), estate(), [Record(1, tuple(earlier))])
    assert writer.flush()
    writer.close()

    # this session starts at minute 30
    bridge = EngineBridge(Engine(estate()))
    view = TrendsView(bridge, Theme("dark"), Selection())
    qtbot.addWidget(view)
    bridge.push(bridge.engine.apply([event("web", at=1800.0, severity=Severity.WARNING)]))
    bridge.flush()
    reader = HistoryReader(path)
    try:
        view.set_counts_source(lambda: reader)
        snapshot = view.series_snapshot()
        stored = reader.alert_counts(600.0, 1800.0)
    finally:
        reader.close()
    minutes = (snapshot["time"] // 60).astype(int)
    assert minutes[0] == 10 and minutes[-1] == 30
    before = minutes < 30
    for k, severity in enumerate(SEVERITIES):
        np.testing.assert_array_equal(
            snapshot[severity.label][before], stored.firing[:, k], err_msg=severity.label
        )
    assert snapshot["critical"][before].sum() == 11  # minutes 10..20
    assert snapshot["major"][before].tolist()[2:4] == [1, 1]  # minutes 12 and 13
    # the session's own minute is counted from the engine, not the store
    assert snapshot["warning"][-1] == 1 and snapshot["critical"][-1] == 0
    # open domains and ingest are unknown before the session: left blank
    assert np.isnan(snapshot["domains"][before]).all()


def test_an_empty_history_leaves_the_series_to_the_session(qtbot: QtBot, parts, tmp_path) -> None:
    from core.history.reader import HistoryReader
    from core.history.store import connect

    connect(tmp_path / "empty.sqlite").close()
    reader = HistoryReader(tmp_path / "empty.sqlite")
    with_store, plain = Trends(qtbot, parts), Trends(qtbot, parts)
    try:
        with_store.view.set_counts_source(lambda: reader)
        for trends in (with_store, plain):
            trends.play_to("2026-11-26T02:10:00Z")
        assert_same_series(with_store.view.series_snapshot(), plain.view.series_snapshot())
    finally:
        reader.close()
