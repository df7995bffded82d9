"""The embedded history on real SQLite: time travel, counts, shift report, retention, kills."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from core.analysis import analyze_records
from core.graph.loaders import load_topology
from core.graph.topology import Topology
from core.history.cli import register  # noqa: F401  (imported: registers without side effects)
from core.history.counts import COUNT_SEVERITIES
from core.history.reader import HistoryReader
from core.history.recorder import import_records, replay_source
from core.history.store import HistoryError, connect
from core.history.timetravel import analysis_from_history
from core.history.writer import HistoryWriter, SourceInfo
from core.model import Severity, Status
from core.operator import OperatorLog
from core.timeline import Record, load_records
from tests.builders import estate, event
from tests.core.history.writer_process import intact_prefix
from tests.episodes import demo_episodes

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / "resources" / "demo"


@pytest.fixture(scope="module")
def demo_history(tmp_path_factory, demo_topology, demo_records) -> Path:
    path = tmp_path_factory.mktemp("history") / "history.sqlite"
    writer = HistoryWriter(path)
    info = replay_source(DEMO / "alerts.ndjson.gz", DEMO / "topology.json", len(demo_records))
    import_records(writer, info, demo_topology, demo_records)
    assert writer.flush()
    writer.close()
    return path


def test_a_store_from_before_chunks_is_refused_by_name_and_left_untouched(tmp_path) -> None:
    """Schema 1 as an early development version wrote it (observations in `items`)."""
    old = tmp_path / "old.sqlite"
    conn = sqlite3.connect(old)
    conn.executescript(
        "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "INSERT INTO meta VALUES ('schema', '1');"
        "CREATE TABLE sources(id INTEGER PRIMARY KEY, key TEXT);"
        "CREATE TABLE items(source INTEGER, seq INTEGER, time REAL);"
        "INSERT INTO items VALUES (1, 0, 1.5);"
    )
    conn.commit()
    conn.close()
    with pytest.raises(HistoryError, match=r"old\.sqlite.*earlier development version.*chunks"):
        HistoryWriter(old)
    with sqlite3.connect(old) as conn:  # nothing created beside the old rows
        query = "SELECT name FROM sqlite_master WHERE type = 'table'"
        tables = {name for (name,) in conn.execute(query)}
        assert tables == {"meta", "sources", "items"}
        assert conn.execute("SELECT * FROM items").fetchall() == [(1, 0, 1.5)]


def test_a_store_from_before_merges_gets_the_table_and_keeps_its_rows(
    tmp_path, demo_history: Path
) -> None:
    copy = tmp_path / "before-merges.sqlite"
    with sqlite3.connect(demo_history) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    with sqlite3.connect(copy) as conn:
        conn.execute("DROP TABLE merges")
        episodes = conn.execute("SELECT count(*) FROM episodes").fetchone()[0]
    writer = HistoryWriter(copy)  # opening for writing adds what is missing
    writer.close()
    with sqlite3.connect(copy) as conn:
        assert conn.execute("SELECT count(*) FROM merges").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM episodes").fetchone()[0] == episodes > 0


def test_store_is_wal_and_refuses_foreign_files(tmp_path) -> None:
    conn = connect(tmp_path / "h.sqlite")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t(x)").connection.commit()
    with pytest.raises(HistoryError, match="not a Watchfloor history"):
        connect(other)
    text = tmp_path / "notes.txt"
    text.write_text("hello, not a database, " * 100)
    with pytest.raises(HistoryError):
        connect(text)
    with pytest.raises(HistoryError, match="no history"):
        connect(tmp_path / "missing.sqlite", create=False)


def test_state_rebuilt_from_history_equals_the_replay(
    demo_history, demo_topology, demo_records
) -> None:
    with HistoryReader(demo_history) as reader:
        span = reader.time_span()
        assert span is not None
        start, end = span
        for fraction in (0.05, 0.25, 0.4, 0.6, 0.85, 1.0):
            at = start + (end - start) * fraction
            rebuilt = analysis_from_history(reader, demo_topology, at).to_json()
            replayed = analyze_records(demo_topology, demo_records, at=at).to_json()
            assert rebuilt == replayed, fraction
        assert rebuilt["domains"], "the demo's end has open domains to compare"
        whole = analysis_from_history(reader, demo_topology).to_json()
        assert whole == analyze_records(demo_topology, demo_records).to_json()


def test_recording_the_same_replay_again_adds_nothing(
    demo_history, demo_topology, demo_records, tmp_path
) -> None:
    copy = tmp_path / "copy.sqlite"
    with sqlite3.connect(demo_history) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    before = HistoryReader(copy).stats()
    writer = HistoryWriter(copy)
    info = replay_source(DEMO / "alerts.ndjson.gz", DEMO / "topology.json", len(demo_records))
    import_records(writer, info, demo_topology, demo_records)
    assert writer.flush()
    writer.close()
    after = HistoryReader(copy).stats()
    for key in ("sources", "events", "rejected", "episodes", "domain_steps"):
        assert after[key] == before[key], key


def test_alert_counts_match_episodes(tmp_path) -> None:
    topology = estate()
    events = [
        event("db", at=600.0, severity=Severity.CRITICAL),  # minute 10, firing to 1230
        event("api", at=630.0, severity=Severity.MAJOR),  # minute 10 .. 12 (ends 720 exactly)
        event("api", at=720.0, status=Status.RESOLVED, severity=Severity.MAJOR, ends=720.0),
        event("web", at=900.0, severity=Severity.WARNING),  # minute 15, still firing at the end
        event("db", at=1230.0, status=Status.RESOLVED, ends=1230.0),
    ]
    path = tmp_path / "h.sqlite"
    writer = HistoryWriter(path)
    import_records(writer, SourceInfo("t", "t"), topology, [Record(1, tuple(events))])
    assert writer.flush()
    writer.close()
    with HistoryReader(path) as reader:
        counts = reader.alert_counts(600.0, 1260.0)
    assert counts.start_minute == 10
    assert counts.minutes == 11
    critical, major, warning = counts.firing[:, 0], counts.firing[:, 1], counts.firing[:, 2]
    assert critical.tolist() == [1] * 11  # 600 .. 1230 covers minutes 10..20
    assert major.tolist() == [1, 1] + [0] * 9  # 630 .. 720: minutes 10 and 11 only
    assert warning.tolist() == [0] * 5 + [1] * 6  # from 900 to the source's last time (1230)
    assert reader_counts_outside(path) == 0


def test_alert_counts_equal_every_episode_of_the_demo(demo_history) -> None:
    """Flaps within one writer batch are episodes too: counts equal brute force exactly."""
    exact = demo_episodes()
    with HistoryReader(demo_history) as reader:
        stored = {
            (fp, n): (start, end)
            for fp, n, start, end in reader._all(
                "SELECT fingerprint, episode, start, end FROM episodes"
            )
        }
        first = min(start for start, _ in exact.spans.values())
        counts = reader.alert_counts(first, exact.clock + 1)
    assert set(stored) == set(exact.spans)
    found = {
        (counts.start_minute + row, COUNT_SEVERITIES[col].label): int(counts.firing[row, col])
        for row in range(counts.minutes)
        for col in range(len(COUNT_SEVERITIES))
        if counts.firing[row, col]
    }
    assert found == exact.minute_counts()


def test_an_alert_flapping_within_one_batch_keeps_each_episode(tmp_path) -> None:
    events = [
        event("db", at=600.0),
        event("db", at=610.0, status=Status.RESOLVED, ends=610.0),
        event("db", at=700.0),  # minute 11
        event("db", at=730.0, status=Status.RESOLVED, ends=730.0),
        event("db", at=900.0),  # minute 15, firing at the end
        event("web", at=960.0),
    ]
    path = tmp_path / "h.sqlite"
    writer = HistoryWriter(path)
    import_records(writer, SourceInfo("t", "t"), estate(), [Record(1, tuple(events))])
    assert writer.flush()
    writer.close()
    with HistoryReader(path) as reader:
        rows = reader._all("SELECT episode, start, end FROM episodes ORDER BY episode")
        counts = reader.alert_counts(600.0, 1020.0)
    db = [r for r in rows if r[1] in (600.0, 700.0, 900.0)]
    assert db == [(1, 600.0, 610.0), (2, 700.0, 730.0), (3, 900.0, None)]
    assert counts.firing[:, 0].tolist() == [1, 1, 1, 0, 0, 1, 2]  # minutes 10 .. 16


def reader_counts_outside(path: Path) -> int:
    with HistoryReader(path) as reader:
        return int(reader.alert_counts(0.0, 600.0).firing.sum())


def test_shift_report_times_to_acknowledge_and_resolve(tmp_path) -> None:
    topology = estate()
    path = tmp_path / "h.sqlite"
    writer = HistoryWriter(path)
    info = SourceInfo("t", "night")
    handle = writer.open_source(info)
    from core.engine import Engine
    from core.history.recorder import EngineRecorder

    engine = Engine(topology)
    recorder = EngineRecorder(writer, handle)
    batches = [
        [event("db", at=1000.0)],
        [event("api", at=1010.0)],
        [event("db", at=1600.0, status=Status.RESOLVED, ends=1600.0)],
        [event("api", at=1900.0, status=Status.RESOLVED, ends=1900.0)],
    ]
    seq = 0
    log = OperatorLog()
    for number, batch in enumerate(batches):
        delta = engine.apply(batch)
        writer.add_items(handle, seq, [(e.event_time, e) for e in batch])
        seq += len(batch)
        recorder.delta(engine, delta)
        if number == 1:
            domain = engine.domain_ids()[0]
            action = log.acknowledge(domain, "ana", at=5.0)
            writer.add_action(handle, action, clock=1300.0)
    assert writer.flush()
    writer.close()
    with HistoryReader(path) as reader:
        report = reader.shift_report(0.0, 5000.0)
        assert [d.domain for d in report.domains] == [domain]
        outcome = report.domains[0]
        assert outcome.time_to_acknowledge == pytest.approx(300.0)
        assert outcome.time_to_resolve == pytest.approx(900.0)
        assert outcome.top_cause == "db"
        assert report.mean_time_to_acknowledge == pytest.approx(300.0)
        noisy = {n.component: n.firings for n in report.noisiest}
        assert noisy == {"db": 1, "api": 1}
        source_id = reader.source_id("t")
        assert source_id is not None
        assert [a.domain_id for a in reader.actions(source_id)] == [domain]


def record_each(path: Path, topology: Topology, events: list) -> HistoryWriter:
    """Each event in its own message (its own chunk), as a slow live stream arrives."""
    writer = HistoryWriter(path)
    handle = writer.open_source(SourceInfo("t", "t"), topology=topology)
    for seq, item in enumerate(events):
        writer.add_items(handle, seq, [(item.event_time, item)])
    return writer


def test_prune_keeps_what_later_state_needs(tmp_path) -> None:
    topology = estate()
    events = [
        event("db", at=100.0),  # still firing at the cutoff: kept
        event("lonely", at=110.0),
        event("lonely", at=150.0, status=Status.RESOLVED, ends=150.0),  # over before: pruned
        event("api", at=5000.0),
    ]
    path = tmp_path / "h.sqlite"
    writer = record_each(path, topology, events)
    assert writer.flush()
    writer.close()
    with HistoryReader(path) as reader:
        before = analysis_from_history(reader, topology, 6000.0).to_json()
    conn = connect(path)
    from core.history.retention import prune, retention_cutoff

    cutoff = retention_cutoff(conn, 4000 / 86_400)
    assert cutoff is not None
    assert cutoff == pytest.approx(1000.0)
    assert prune(conn, cutoff) > 0
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    with HistoryReader(path) as reader:
        after = analysis_from_history(reader, topology, 6000.0).to_json()
        assert reader.stats()["events"] == 2
        with pytest.raises(HistoryError, match="pruned"):
            analysis_from_history(reader, topology, 500.0)
    assert after["domains"] == before["domains"]
    assert after["summary"]["active"] == before["summary"]["active"] == 2


def test_killed_writer_loses_at_most_the_last_batch(tmp_path) -> None:
    path = tmp_path / "killed.sqlite"
    batch = 2000
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.core.history.writer_process", str(path), str(batch)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    committed = -1
    try:
        assert process.stdout is not None
        for line in process.stdout:
            committed = max(committed, int(line.split()[1]))
            if committed >= 20 * batch:
                break
        os.kill(process.pid, signal.SIGKILL)  # mid-write: the writer never idles
    finally:
        process.kill()
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert committed >= 20 * batch - 1
    count = intact_prefix(path)  # intact, one unbroken prefix ...
    assert count > committed  # ... holding everything reported committed
    assert count % batch == 0  # whole batches only: no half-written transaction
    with HistoryReader(path) as reader:  # and the store opens and reads as usual
        assert reader.stats()["events"] == count


def test_history_cli(tmp_path, capsys) -> None:
    from core.cli import main

    db = str(tmp_path / "cli.sqlite")
    replay = str(DEMO / "alerts.ndjson.gz")
    topology = str(DEMO / "topology.json")
    assert main(["history", "import", "--db", db, "--topology", topology, "--replay", replay]) == 0
    at = "2026-11-26T02:20:00Z"
    assert main(["history", "show", "--db", db, "--at", at, "--format", "json"]) == 0
    out = capsys.readouterr().out
    shown = json.loads(out[out.index("{") :])
    records = load_records(replay)
    from core.model import parse_time

    expected = analyze_records(load_topology(topology), records, at=parse_time(at))
    assert shown == expected.to_json()
    assert main(["history", "stats", "--db", db, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["events"] > 0
    assert main(["history", "shift", "--db", db]) == 0
    assert "Mean time to acknowledge" in capsys.readouterr().out
    assert main(["history", "prune", "--db", db, "--retention-days", "0"]) == 2
    assert main(["history", "stats", "--db", str(tmp_path / "none.sqlite")]) == 2
    err = capsys.readouterr().err
    assert "no history" in err and "Traceback" not in err


def test_writer_retention_prunes_in_its_thread(tmp_path) -> None:
    topology = estate()
    events = [
        event("lonely", at=100.0),
        event("lonely", at=150.0, status=Status.RESOLVED, ends=150.0),
        event("api", at=9000.0),
    ]
    path = tmp_path / "h.sqlite"
    writer = record_each(path, topology, events)
    removed: list[int] = []
    writer.retain(1.0 / 24, removed.append)  # keep one hour before the newest item
    assert writer.flush()
    writer.close()
    assert removed and removed[0] > 0
    with HistoryReader(path) as reader:
        assert reader.stats()["events"] == 1
        assert reader.stats()["pruned_before"] == pytest.approx(9000.0 - 3600.0)
