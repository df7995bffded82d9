"""Replay playback: seeking (backwards too) reproduces `analyze --at`; playing gets there too."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.analysis import analyze_replay
from core.graph.loaders import load_topology
from core.graph.topology import Topology
from core.replay import ReplayPlayer
from core.timeline import Record, load_records

DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo"


@pytest.fixture(scope="module")
def player_parts() -> tuple[Topology, list[Record]]:
    topology = load_topology(DEMO / "topology.json")
    return topology, load_records(DEMO / "alerts.ndjson.gz")


def test_seek_forwards_and_backwards_equals_analyze_at(player_parts) -> None:
    topology, records = player_parts
    player = ReplayPlayer(topology, records)
    assert player.start_time is not None and player.end_time is not None
    for minute in (50, 20, 35, 5, 59):
        at = player.start_time + minute * 60
        engine = player.seek(at)
        expected = analyze_replay(topology, DEMO / "alerts.ndjson.gz", at=at)
        assert engine.domains() == expected.engine.domains()
        assert engine.unmapped_firing == expected.engine.unmapped_firing
        assert {fp: a.status for fp, a in engine.alerts.items()} == {
            fp: a.status for fp, a in expected.engine.alerts.items()
        }


def test_playing_forward_reaches_the_same_domains_as_seeking(player_parts) -> None:
    topology, records = player_parts
    player = ReplayPlayer(topology, records)
    assert player.start_time is not None
    target = player.start_time + 40 * 60
    t = player.start_time
    while t < target:
        t = min(target, t + 7.5)
        player.advance(t)
    played = player.engine.domains()
    assert played == player.seek(target).domains()
    # and playing on after a backwards seek applies what was not yet applied
    player.seek(player.start_time + 10 * 60)
    player.advance(target)
    assert player.engine.domains() == played


def test_step_applies_one_record_and_moves_the_clock(player_parts) -> None:
    topology, records = player_parts
    player = ReplayPlayer(topology, records)
    player.step()
    assert player.applied >= 1
    assert player.time in (None, player.start_time)
    while not player.finished:
        player.step()
    assert player.engine.rejected_total == 4
