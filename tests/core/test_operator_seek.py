"""Operator state follows domain merges whatever the replay clock does (the real demo, headless).

In the demo, D14 merges into D9 at 02:16:33 and D9 (with D10, D12, D13, D14)
into D3 at 02:17:07. An operator acknowledges D9 and notes on D14 at
02:16:10, while both are still their own domains. A seek past the merge, a
seek back before it, playing through it, the history and a snapshot must all
show the same thing: D9's acknowledgement and D14's note on D3 from 02:17:07
on, on D9 and D14 before, and never twice.
"""

from __future__ import annotations

from pathlib import Path

from core.graph.topology import Topology
from core.history.reader import HistoryReader
from core.history.recorder import import_records, replay_source
from core.history.timetravel import analysis_from_history
from core.history.writer import HistoryWriter
from core.model import parse_time
from core.operator import DomainState, OperatorLog
from core.replay import ReplayPlayer
from core.snapshot.archive import read_snapshot
from core.snapshot.content import SnapshotOptions
from core.snapshot.export import export_snapshot
from core.timeline import Record

DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo"
ACTED = parse_time("2026-11-26T02:16:10Z")  # D3, D9 and D14 open side by side
D14_INTO_D9 = parse_time("2026-11-26T02:16:33.429Z")
D9_INTO_D3 = parse_time("2026-11-26T02:17:06.810Z")
PAST = parse_time("2026-11-26T02:20:00Z")
WALL = 1_900_000_000.0  # when the operator acted (wall time; what is shown never depends on it)


def shown(log: OperatorLog, player: ReplayPlayer, domain_id: str) -> DomainState:
    return log.shown(domain_id, player.engine.merged_from(domain_id))


def acted_log() -> OperatorLog:
    log = OperatorLog()
    log.acknowledge("D9", "alice", WALL)
    log.note("D14", "alice", "tor-r07 <b>power</b> cycled", WALL + 5)
    log.assign("D3", "bob", WALL + 10)
    return log


def test_seek_past_back_and_play_through_a_merge(
    demo_topology: Topology, demo_records: list[Record]
) -> None:
    player = ReplayPlayer(demo_topology, demo_records)
    player.seek(ACTED)
    assert {"D3", "D9", "D14"} <= set(player.engine.domain_ids())
    log = acted_log()
    assert shown(log, player, "D3").acked_by is None

    # (1) a seek forward past both merges: D3 shows D9's ack and D14's note, and its own assignee
    player.seek(PAST)
    assert "D9" not in player.engine.domain_ids() and "D14" not in player.engine.domain_ids()
    assert {"D9", "D14"} <= set(player.engine.merged_from("D3"))
    merged = shown(log, player, "D3")
    assert (merged.acked_by, merged.acked_at, merged.assignee) == ("alice", WALL, "bob")
    assert [n.text for n in merged.notes] == ["tor-r07 <b>power</b> cycled"]

    # (2) back before the merges: each shows its own again, D3 nothing of theirs
    player.seek(ACTED)
    assert shown(log, player, "D3") == log.state("D3")
    assert shown(log, player, "D9").acked_by == "alice" and shown(log, player, "D9").notes == []
    assert [n.text for n in shown(log, player, "D14").notes] == ["tor-r07 <b>power</b> cycled"]
    player.seek(D14_INTO_D9 + 1)  # D14 into D9 only
    assert shown(log, player, "D9").notes == merged.notes and shown(log, player, "D3").notes == []

    # (3) playing through the merge, 5 s at a time: once, not twice
    player.seek(ACTED)
    time = ACTED
    while time < PAST:
        time += 5
        player.advance(time)
        state = shown(log, player, "D3")
        if time < D9_INTO_D3:
            assert state.acked_by is None and state.notes == []
        else:
            assert state == merged
    assert len(log) == 3  # nothing was recorded on the operator's behalf


def test_merges_after_playing_equal_merges_after_seeking(
    demo_topology: Topology, demo_records: list[Record]
) -> None:
    """Whatever the path to a time, the engine has seen the same merges (so shows the same)."""
    played = ReplayPlayer(demo_topology, demo_records)
    seeker = ReplayPlayer(demo_topology, demo_records)
    assert played.start_time is not None and played.end_time is not None
    time, checked = played.start_time, 0
    while time < played.end_time:
        time += 60
        played.advance(time)
        seeker.seek(time)
        ids = played.engine.domain_ids()
        assert ids == seeker.engine.domain_ids()
        for domain_id in ids:
            assert played.engine.merged_from(domain_id) == seeker.engine.merged_from(domain_id)
            checked += bool(played.engine.merged_from(domain_id))
        assert dict(played.engine.merged_into) == dict(seeker.engine.merged_into)
    assert checked > 10  # the demo merges: this compared real merge records


def test_history_and_snapshot_replay_to_the_same_state(
    tmp_path: Path, demo_topology: Topology, demo_records: list[Record]
) -> None:
    log = acted_log()
    player = ReplayPlayer(demo_topology, demo_records)
    player.seek(PAST)
    expected = {d: shown(log, player, d) for d in player.engine.domain_ids()}
    assert expected["D3"].acked_by == "alice"

    # the history: the actions as the operator took them, the engine rebuilt from what it stores
    path = tmp_path / "history.sqlite"
    writer = HistoryWriter(path)
    info = replay_source(DEMO / "alerts.ndjson.gz", DEMO / "topology.json", len(demo_records))
    handle = import_records(writer, info, demo_topology, demo_records)
    for action in log.actions:
        writer.add_action(handle, action, clock=ACTED)
    assert writer.flush()
    writer.close()
    with HistoryReader(path) as reader:
        source_id = reader.source_id(info.key)
        assert source_id is not None
        stored = OperatorLog(reader.actions(source_id))
        assert stored.actions == log.actions
        for at, domains in ((PAST, expected), (ACTED, None)):
            engine = analysis_from_history(reader, demo_topology, at=at).engine
            for domain_id in engine.domain_ids():
                state = stored.shown(domain_id, engine.merged_from(domain_id))
                if domains is not None:
                    assert state == domains[domain_id]
                else:
                    assert state == log.state(domain_id)  # before the merges: each its own

    # a snapshot of everything, and one of D3 alone: both carry D9's and D14's actions
    for scope in (None, "D3"):
        out = tmp_path / f"{scope or 'all'}.wfsnap"
        options = SnapshotOptions(at=PAST, domain=scope, operator_actions=log.actions)
        export_snapshot(out, demo_topology, demo_records, options)
        snapshot = read_snapshot(out)
        reopened = OperatorLog(snapshot.operator)
        engine = snapshot.analyze().engine
        state = reopened.shown("D3", engine.merged_from("D3"))
        assert state == expected["D3"], scope
        # the report's D3 card names them too (D9 and D14 have no card of their own)
        assert "<b>Operator:</b> acknowledge on D9 by alice" in snapshot.report_html, scope
        assert (
            "note on D14 by alice" in snapshot.report_html
            and "assign by bob" in snapshot.report_html
        )
