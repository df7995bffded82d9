"""The history keeps merges: a domain's time to acknowledge counts what merged into it.

The real demo: D14 merges into D9 at 02:16:33 and D9 into D3 at 02:17:07. An
operator acknowledges D9 at 02:16:10 (D3 itself is never acknowledged). D3
shows that acknowledgement from the merge on, so its time to acknowledge ends
there; D9 and D14 did not resolve, they went on as D3 (no time to resolve).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from core.history.cli import shift_json, shift_text
from core.history.reader import HistoryReader
from core.history.recorder import import_records, replay_source
from core.history.writer import HistoryWriter
from core.operator import OperatorLog
from core.replay import ReplayPlayer
from core.timeline import Record
from tests.core.test_operator_seek import ACTED, D9_INTO_D3, D14_INTO_D9, DEMO, WALL


def record(tmp_path: Path, topology, records: list[Record], log: OperatorLog) -> Path:
    path = tmp_path / "history.sqlite"
    writer = HistoryWriter(path)
    info = replay_source(DEMO / "alerts.ndjson.gz", DEMO / "topology.json", len(records))
    handle = import_records(writer, info, topology, records)
    for action in log.actions:
        writer.add_action(handle, action, clock=ACTED)
    assert writer.flush()
    writer.close()
    return path


def test_merged_acknowledgements_count_from_the_merge_on(
    tmp_path: Path, demo_topology, demo_records
) -> None:
    log = OperatorLog()
    log.acknowledge("D9", "alice", WALL)
    path = record(tmp_path, demo_topology, demo_records, log)
    with HistoryReader(path) as reader:
        span = reader.time_span()
        assert span is not None
        start, end = span
        report = reader.shift_report(start, end + 1)
    outcomes = {d.domain: d for d in report.domains}
    d3, d9 = outcomes["D3"], outcomes["D9"]
    assert d9.acknowledged == ACTED and d9.merged_into == "D3" and d9.closed is None
    assert (
        d3.acknowledged is not None and abs(d3.acknowledged - D9_INTO_D3) < 0.01
    )  # shown on D3 once D9 merged into it
    assert d3.merged_into is None
    # the merges as the engine made them, when it made them
    player, made = ReplayPlayer(demo_topology, demo_records), {}
    assert player.end_time is not None
    t = player.start_time or 0.0
    while t < player.end_time:
        t += 20.0
        delta = player.advance(t)
        made.update({gone: (into, delta.clock) for gone, into in delta.merged_into.items()})
    stored = {gone: (into, at) for gone, into, at in _merges(path)}
    assert {g: i for g, (i, _a) in stored.items()} == {g: i for g, (i, _c) in made.items()}
    reported = {d.domain: d.merged_into for d in report.domains if d.merged_into}
    assert reported and all(stored[gone][0] == into for gone, into in reported.items())
    # at the event time of the merge, not of the batch that carried it
    assert abs(stored["D14"][1] - D14_INTO_D9) < 0.01 and abs(stored["D9"][1] - D9_INTO_D3) < 0.01
    # resolved means resolved: merged domains are not in the mean time to resolve
    resolved = [d.time_to_resolve or 0.0 for d in report.domains if d.closed is not None]
    assert report.mean_time_to_resolve == sum(resolved) / len(resolved)
    assert d9.time_to_resolve is None
    assert "\u2192 D3" in shift_text(report)
    assert {d["domain"]: d["merged_into"] for d in shift_json(report)["domains"]}["D9"] == "D3"


def test_an_own_acknowledgement_before_the_merge_wins(
    tmp_path: Path, demo_topology, demo_records
) -> None:
    log = OperatorLog()
    log.acknowledge("D9", "alice", WALL)
    log.acknowledge("D3", "bob", WALL + 1)  # D3 acknowledged itself at 02:16:10
    path = record(tmp_path, demo_topology, demo_records, log)
    with HistoryReader(path) as reader:
        span = reader.time_span()
        assert span is not None
        start, end = span
        outcomes = {d.domain: d for d in reader.shift_report(start, end + 1).domains}
    assert outcomes["D3"].acknowledged == ACTED


def test_a_store_written_before_merges_were_kept_still_reports(
    tmp_path: Path, demo_topology, demo_records
) -> None:
    path = record(tmp_path, demo_topology, demo_records, OperatorLog())
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE merges")
    with HistoryReader(path) as reader:
        span = reader.time_span()
        assert span is not None
        start, end = span
        report = reader.shift_report(start, end + 1)
    assert report.domains and all(d.merged_into is None for d in report.domains)


def _merges(path: Path) -> list[tuple[str, str, float]]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT domain, into_domain, at FROM merges").fetchall()
