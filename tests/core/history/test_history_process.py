"""The history writer in its own process: the same rows as the thread, kills, callbacks."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from core.history.process import HistoryProcess
from core.history.reader import HistoryReader
from core.history.recorder import import_records
from core.history.store import HistoryError
from core.history.writer import CommitStats, HistoryWriter, SourceInfo
from core.model import Status
from core.operator import ActionKind, OperatorAction
from core.timeline import timeline
from tests.builders import estate, event
from tests.core.history.writer_process import intact_prefix, kill_batch

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / "resources" / "demo"

TABLES = {
    "chunks": "SELECT seq, count, events, low, high, payload FROM chunks ORDER BY seq",
    "labels": "SELECT * FROM labels ORDER BY fingerprint",
    "episodes": "SELECT * FROM episodes ORDER BY source, fingerprint, episode",
    "domain_steps": "SELECT * FROM domain_steps ORDER BY source, domain, step, at",
    "merges": "SELECT * FROM merges ORDER BY source, domain",
    "actions": "SELECT source, domain, kind, who, at, clock, text FROM actions ORDER BY at",
}


def rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    conn = sqlite3.connect(path)
    try:
        return {name: conn.execute(query).fetchall() for name, query in TABLES.items()}
    finally:
        conn.close()


def test_process_records_what_the_thread_records(tmp_path, demo_topology, demo_records) -> None:
    """The demo through `import_records` plus an action, a replay range and a clock."""
    stored: dict[str, Path] = {}
    count = len(timeline(demo_records))
    half = count // 2
    for name, kind in (("thread", HistoryWriter), ("process", HistoryProcess)):
        path = stored[name] = tmp_path / f"{name}.sqlite"
        commits: list[CommitStats] = []
        writer = kind(path, on_commit=commits.append)
        info = SourceInfo("test:same", "same", records=len(demo_records))
        handle = import_records(writer, info, demo_topology, demo_records)
        action = OperatorAction(ActionKind.NOTE, "D1", "ana", 1_000.0, "checked <b>db</b>")
        writer.add_action(handle, action, 999.0)
        other = writer.open_source(SourceInfo("test:replay", "replay"), topology=demo_topology)
        writer.add_replay_items(other, demo_records, 0, half, clock=None)
        writer.add_replay_items(other, demo_records, half, count, clock=2e9)
        assert writer.flush(timeout=120.0), writer.error
        assert writer.pending == 0
        writer.close()
        assert not writer.alive
        assert sum(c.items for c in commits) == writer.committed_items == 2 * count
    thread, process = rows(stored["thread"]), rows(stored["process"])
    assert process == thread
    assert len(process["episodes"]) > 50 and len(process["domain_steps"]) > 20


def test_process_answers_ready_and_prune_callbacks_from_its_reader(tmp_path) -> None:
    path = tmp_path / "h.sqlite"
    writer = HistoryProcess(path)
    readies: list[tuple[int, int, float | None]] = []
    removed: list[int] = []
    callers: set[str] = set()

    def ready(source_id: int, next_seq: int, last_time: float | None) -> None:
        callers.add(threading.current_thread().name)
        readies.append((source_id, next_seq, last_time))

    handle = writer.open_source(SourceInfo("t:a", "a"), ready, topology=estate())
    items = [
        event("lonely", at=100.0),
        event("lonely", at=150.0, status=Status.RESOLVED, ends=150.0),
        event("api", at=9000.0),
    ]
    for seq, item in enumerate(items):  # a chunk each, as a slow live stream arrives
        writer.add_items(handle, seq, [(item.event_time, item)])
    writer.retain(1.0 / 24, removed.append)  # keeps the hour before the newest item
    assert writer.flush()
    writer.open_source(SourceInfo("t:a", "a"), ready)  # the same source again: it has 2 items
    assert writer.flush()
    writer.close()
    assert readies == [(1, 0, None), (1, 3, 9000.0)]
    assert callers == {"history-read"}
    assert removed and removed[0] > 0
    with HistoryReader(path) as reader:
        assert reader.stats()["events"] == 1


def test_a_bad_path_fails_when_the_process_writer_is_made(tmp_path) -> None:
    (tmp_path / "not-a-db.sqlite").write_text("hello")
    with pytest.raises(HistoryError):
        HistoryProcess(tmp_path / "not-a-db.sqlite")


def test_killed_writer_process_loses_at_most_what_it_had_not_committed(tmp_path) -> None:
    path = tmp_path / "killed.sqlite"
    batch = 2000
    errors: list[str] = []
    committed: list[int] = []
    enough = threading.Event()

    def on_commit(stats: CommitStats) -> None:
        committed.extend(stats.last_seq.values())
        if max(committed) >= 10 * batch:
            enough.set()

    writer = HistoryProcess(path, on_commit=on_commit, on_error=errors.append)
    handle = writer.open_source(SourceInfo("test:kill", "kill test"))
    seq = 0
    pid = writer.pid
    assert pid is not None
    while not enough.is_set():
        part = kill_batch(seq, batch)
        writer.add_items(handle, seq, part)
        seq += batch
        while writer.pending > 4 * batch and not enough.is_set():
            enough.wait(0.001)
    os.kill(pid, signal.SIGKILL)  # mid-write: more is always queued
    assert not writer.flush(timeout=30.0)
    assert not writer.alive
    writer.add_items(handle, seq, part)  # after the death: dropped, no exception
    writer.close()
    assert len(errors) == 1 and "history writer stopped" in errors[0]
    assert "\n" not in errors[0]
    count = intact_prefix(path)  # intact, one unbroken prefix ...
    assert count > max(committed)  # ... holding everything reported committed
    assert count % batch == 0  # whole messages only: no half-written transaction
    with HistoryReader(path) as reader:
        assert reader.stats()["events"] == count


def test_a_reopened_source_stores_each_item_once_through_the_process(tmp_path) -> None:
    """A replay opened again sends its items from the first: what the store holds is
    skipped (whole chunks, and the stored part of one that straddles it), and both
    writers store the same bytes and the whole stream once, in order."""
    from tests.core.history.test_history_recording import churn, random_estate

    rng = random.Random(23)
    topology = random_estate(rng, 60)
    items = churn(rng, topology, 1_500)
    held = 600  # two whole chunks and part of a third
    stored: dict[str, Path] = {}
    for name, kind in (("thread", HistoryWriter), ("process", HistoryProcess)):
        path = stored[name] = tmp_path / f"{name}.sqlite"
        info = SourceInfo("test:reopened", "reopened")
        for count in (held, len(items)):
            ready: list[int] = []
            writer = kind(path)
            handle = writer.open_source(info, _ready(ready), topology=topology)
            writer.add_items(handle, 0, items[:count])
            assert writer.flush(timeout=120.0), writer.error
            writer.close()
            assert ready == [0 if count == held else held]
    thread, process = rows(stored["thread"]), rows(stored["process"])
    assert process == thread
    assert sum(count for _, count, *_ in process["chunks"]) == len(items)
    with HistoryReader(stored["process"]) as reader:
        again = [item for record in reader.records_until().records for item in record.items]
    in_order = sorted(range(len(items)), key=lambda n: (items[n][0], n))  # as time travel
    assert again == [items[n][1] for n in in_order]


def _ready(into: list[int]) -> Any:
    return lambda _source, next_seq, _last: into.append(next_seq)
