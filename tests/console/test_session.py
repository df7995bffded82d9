"""The session loads off the GUI thread, plays, steps, and seeks to exactly `analyze --at`."""

from __future__ import annotations

import math
from typing import Any

from pytestqt.qtbot import QtBot

from console.replay_source import ReplaySource
from console.session import DEMO_REPLAY, DEMO_TOPOLOGY, Session
from console.source import Source, SourceState
from console.status_bar import StatusBar
from core.analysis import analyze_replay
from core.engine import Engine
from core.graph.loaders import load_topology
from core.model import format_time, parse_time

DEMO_REJECTED = 4  # resources/demo/README.md: malformed lines 29, 88, 188, 241


def report(engine: Engine) -> list[dict[str, Any]]:
    """Domains as `analyze --format json` reports them."""
    return [
        {
            "id": d.id,
            "severity": d.severity.label,
            "first_seen": d.first_seen,
            "members": list(d.members),
            "root_causes": [(c.component, round(c.score, 9), c.alerting) for c in d.root_causes],
            "impacted": list(d.impacted),
            "alerts": list(d.alerts),
        }
        for d in engine.domains()
    ]


def open_demo(qtbot: QtBot, session: Session, **kwargs: Any) -> ReplaySource:
    with qtbot.waitSignal(session.sig_loaded, timeout=20_000):
        session.open_demo(**kwargs)
    assert session.replay is not None
    return session.replay


def test_replay_is_a_source(qtbot: QtBot, session: Session) -> None:
    replay = open_demo(qtbot, session, autoplay=False)
    assert isinstance(replay, Source)
    assert replay.name == "alerts.ndjson.gz"
    assert replay.state is SourceState.IDLE
    assert session.bridge.engine is replay.engine


def test_plays_the_demo_to_the_end_past_the_malformed_lines(qtbot: QtBot, session: Session) -> None:
    status = StatusBar(session)
    qtbot.addWidget(status)
    replay = open_demo(qtbot, session, speed=math.inf, autoplay=True)
    assert replay.playing
    qtbot.waitUntil(lambda: replay.state is SourceState.FINISHED, timeout=20_000)
    session.bridge.flush()
    assert replay.player.finished
    assert replay.engine.rejected_total == DEMO_REJECTED
    assert status.rejected.text() == f"{DEMO_REJECTED} rejected"
    assert replay.end_time is not None
    assert status.clock.text() == format_time(int(replay.end_time))
    assert status.source.text().startswith("replay alerts.ndjson.gz")
    final = analyze_replay(load_topology(DEMO_TOPOLOGY), DEMO_REPLAY)
    assert report(replay.engine) == report(final.engine)


def test_slices_are_bounded_so_the_gui_never_blocks(qtbot: QtBot, session: Session) -> None:
    replay = open_demo(qtbot, session, speed=math.inf, autoplay=False)
    replay.max_events_per_tick = 25
    ticks: list[int] = []
    last = [0]

    def tick(_time: float) -> None:
        ticks.append(replay.player.applied - last[0])
        last[0] = replay.player.applied

    replay.sig_time_changed.connect(tick)
    replay.play()
    qtbot.waitUntil(lambda: replay.state is SourceState.FINISHED, timeout=20_000)
    assert len(ticks) >= len(replay.player) // 25
    # A step applies all observations of one timestamp; the budget may end mid-timestamp.
    assert max(ticks) <= 25 + 10


def test_seeking_backwards_reproduces_analyze_at(qtbot: QtBot, session: Session) -> None:
    replay = open_demo(qtbot, session, speed=math.inf, autoplay=True)
    qtbot.waitUntil(lambda: replay.state is SourceState.FINISHED, timeout=20_000)
    topology = load_topology(DEMO_TOPOLOGY)
    for text in ("2026-11-26T02:45:00Z", "2026-11-26T02:20:30Z"):
        at = parse_time(text)
        with qtbot.waitSignal(replay.sig_seek_finished, timeout=20_000):
            replay.seek(at)
        expected = analyze_replay(topology, DEMO_REPLAY, at=at)
        assert session.bridge.engine is replay.engine
        assert replay.time == at
        assert report(replay.engine) == report(expected.engine)
        assert expected.domains, "the demo has open domains at these times"
        assert replay.engine.rejected_total == expected.engine.rejected_total


def test_step_and_speed(qtbot: QtBot, session: Session) -> None:
    replay = open_demo(qtbot, session, speed=5.0, autoplay=False)
    first = replay.player.applied
    replay.step()
    assert replay.player.applied > first
    assert replay.state is SourceState.PAUSED
    replay.faster()
    assert replay.speed == 10.0
    replay.slower()
    replay.slower()
    assert replay.speed == 2.0
    replay.set_speed(math.inf)
    replay.faster()
    assert math.isinf(replay.speed)


def test_unreadable_topology_is_an_error_message_not_a_crash(
    qtbot: QtBot, session: Session, tmp_path: Any
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with qtbot.waitSignal(session.sig_error, timeout=10_000) as error:
        session.open(broken)
    assert "broken.json" in error.args[0]
    assert session.replay is None
