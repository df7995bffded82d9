"""The writer's own engine records exactly what an engine + `EngineRecorder` beside it would.

The writer builds episode and domain-step rows on a fast path (tuples straight
into its batch, singles read from their record, episodes coalesced per
transaction, multi-row INSERTs). These tests hold it to the plain path: an
engine that notes every episode the old way (on any event to a resolved alert),
driven with the same 64-item batches, handing `EpisodeRow`s and `DomainStep`s
to a writer with no engine of its own. Both stores must hold the same rows.
"""

from __future__ import annotations

import math
import random
import sqlite3
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from core.engine import AlertState
from core.graph.loaders import load_topology
from core.graph.topology import Topology
from core.history.recorder import (
    IMPORT_BATCH,
    EngineRecorder,
    EpisodeEngine,
    episode_tuple,
    import_records,
)
from core.history.rows import coalesce_episodes
from core.history.store import SCHEMA
from core.history.writer import ROWS_PER_STATEMENT, HistoryWriter, SourceInfo, insert_rows
from core.ingest.fingerprint import alertmanager_fingerprint
from core.model import AlertEvent, Severity, Status
from core.timeline import Item, load_records, timeline

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / "resources" / "demo"

EPISODE_UPSERT = (
    " ON CONFLICT(source, fingerprint, episode) DO UPDATE SET "
    "severity=max(severity, excluded.severity), "
    "component=excluded.component, end=excluded.end"
)
ONE_EPISODE_UPSERT = (  # what the writer ran per row before
    "INSERT INTO episodes VALUES (?,?,?,?,?,?,?) "
    "ON CONFLICT(source, fingerprint, episode) DO UPDATE SET "
    "severity=max(severity, excluded.severity), "
    "component=excluded.component, end=excluded.end"
)


class PlainEpisodeEngine(EpisodeEngine):
    """The episode notes as first written: on every event that reaches a resolved alert."""

    def _apply_event(self, event: AlertEvent) -> None:
        state = self.alerts.get(event.fingerprint)
        if state is not None and state.status is not Status.FIRING:
            self.ended.append(episode_tuple(self, state))
        super()._apply_event(event)

    def _refiring(self, state: AlertState) -> None:
        pass  # noted above already


Message = tuple[str, Any]  # ("items", (first seq, items)) or ("clock", time)


def record_both(folder: Path, topology: Topology, messages: list[Message]) -> tuple[Path, Path]:
    """The same messages recorded by the writer's engine and by the plain path beside it."""
    fast_path, plain_path = folder / "fast.sqlite", folder / "plain.sqlite"
    fast, plain = HistoryWriter(fast_path), HistoryWriter(plain_path)
    info = SourceInfo("test:same", "same")
    fast_handle = fast.open_source(info, topology=topology)
    plain_handle = plain.open_source(info)
    engine = PlainEpisodeEngine(topology)
    recorder = EngineRecorder(plain, plain_handle)
    for kind, value in messages:
        if kind == "clock":
            fast.add_clock(fast_handle, value)
            if engine.clock is None or value > engine.clock:
                recorder.delta(engine, engine.advance_to(value))
            continue
        first, items = value
        fast.add_items(fast_handle, first, items)
        plain.add_items(plain_handle, first, items)
        for offset in range(0, len(items), IMPORT_BATCH):
            chunk = items[offset : offset + IMPORT_BATCH]
            recorder.delta(engine, engine.apply([item for _, item in chunk]))
    for writer in (fast, plain):
        assert writer.flush(timeout=60.0), writer.error
        writer.close()
    return fast_path, plain_path


def table(path: Path, query: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(query).fetchall()
    finally:
        conn.close()


def assert_same_lifecycle(fast: Path, plain: Path) -> tuple[int, int]:
    """Episodes and domain steps equal row for row; returns how many of each."""
    episodes = "SELECT * FROM episodes ORDER BY source, fingerprint, episode"
    steps = "SELECT * FROM domain_steps ORDER BY source, domain, step, at"
    assert table(fast, episodes) == table(plain, episodes)
    assert table(fast, steps) == table(plain, steps)
    chunks = "SELECT seq, count, events, low, high, payload FROM chunks ORDER BY seq"
    assert table(fast, chunks) == table(plain, chunks)
    return len(table(fast, episodes)), len(table(fast, steps))


def test_demo_replay_records_the_same_rows_as_the_plain_path(tmp_path) -> None:
    topology = load_topology(DEMO / "topology.json")
    items = timeline(load_records(DEMO / "alerts.ndjson.gz"))
    size = IMPORT_BATCH * 16  # as import_records queues them
    messages: list[Message] = [
        ("items", (offset, items[offset : offset + size])) for offset in range(0, len(items), size)
    ]
    episodes, steps = assert_same_lifecycle(*record_both(tmp_path, topology, messages))
    assert episodes > 50 and steps > 20  # the demo has a real lifecycle to compare


def test_import_records_queues_what_the_comparison_replays(tmp_path) -> None:
    """`import_records` (what `watchfloor history import` runs) takes the writer's fast path."""
    topology = load_topology(DEMO / "topology.json")
    records = load_records(DEMO / "alerts.ndjson.gz")
    path = tmp_path / "import.sqlite"
    writer = HistoryWriter(path)
    import_records(writer, SourceInfo("test:same", "same"), topology, records)
    assert writer.flush(timeout=60.0)
    writer.close()
    items = timeline(records)
    size = IMPORT_BATCH * 16
    messages: list[Message] = [
        ("items", (offset, items[offset : offset + size])) for offset in range(0, len(items), size)
    ]
    _, plain = record_both(tmp_path, topology, messages)
    assert_same_lifecycle(path, plain)


def random_estate(rng: random.Random, size: int) -> Topology:
    """A random dependency DAG: each component depends on up to three earlier ones."""
    names = [f"c{n}" for n in range(size)]
    edges = []
    for n in range(1, size):
        for other in rng.sample(range(n), min(n, rng.randint(0, 3))):
            edges.append((names[n], names[other]))
    return Topology.from_edges(names, edges)


def churn(rng: random.Random, topology: Topology, count: int) -> list[tuple[float, Item]]:
    """Fires, re-sends, regrades, earlier onsets, resolves, re-resolves, endsAt expiries,
    stale repeats, resolves of unknown alerts and unmapped alerts, clustered so that
    domains open, merge, split and close within and across batches."""
    pool = []
    for n in range(len(topology) * 2):
        component = topology.ids[rng.randrange(len(topology))]
        label = "service" if n % 11 else "nowhere"  # some alerts map to no component
        labels = {"alertname": f"A{n % 5}", label: component, "severity": "critical"}
        pool.append((labels, alertmanager_fingerprint(labels)))
    last: dict[int, tuple[Status, float]] = {}  # pool index -> (status, starts)
    now = 1_000_000.0
    items: list[tuple[float, Item]] = []
    severities = list(Severity)
    for _ in range(count):
        now += rng.choice((0.0, 0.5, 2.0, 7.0, 20.0, 45.0))
        index = rng.randrange(len(pool))
        labels, fingerprint = pool[index]
        status, starts = last.get(index, (Status.RESOLVED, now))
        roll = rng.random()
        at = now
        ends: float | None = None
        if roll < 0.05:
            at = now - rng.uniform(1.0, 60.0)  # late: stale unless the alert is new
            new_status = rng.choice((Status.FIRING, Status.RESOLVED))
        elif roll < 0.45:
            new_status = Status.FIRING
            if status is not Status.FIRING:
                starts = now
            elif rng.random() < 0.1:
                starts -= rng.uniform(1.0, 30.0)  # an earlier onset
            if rng.random() < 0.15:
                ends = now + rng.uniform(5.0, 120.0)  # resolves by itself unless refreshed
        else:
            new_status = Status.RESOLVED
            ends = None if rng.random() < 0.2 else at
        severity = rng.choice(severities) if rng.random() < 0.3 else Severity.CRITICAL
        event = AlertEvent(
            fingerprint=fingerprint,
            status=new_status,
            labels=labels,
            annotations={"summary": "s"},
            starts_at=starts,
            ends_at=ends,
            event_time=at,
            severity=severity,
        )
        if at >= now:
            last[index] = (new_status, starts)
        items.append((at, event))
    return items


def messages_of(rng: random.Random, items: list[tuple[float, Item]]) -> list[Message]:
    """Items in messages of random sizes (engine batches restart in each), clocks between."""
    messages: list[Message] = []
    offset = 0
    while offset < len(items):
        size = rng.choice((1, 3, 17, 64, 65, 200, 500))
        part = items[offset : offset + size]
        messages.append(("items", (offset, part)))
        offset += len(part)
        if rng.random() < 0.2:
            newest = max(time for time, _ in part)
            messages.append(("clock", newest + rng.uniform(0.0, 90.0)))
    return messages


def test_random_streams_record_the_same_rows_as_the_plain_path(tmp_path) -> None:
    totals = [0, 0]
    for seed in range(6):
        rng = random.Random(seed)
        topology = random_estate(rng, rng.choice((12, 40, 120)))
        items = churn(rng, topology, 3000)
        folder = tmp_path / f"seed{seed}"
        folder.mkdir()
        episodes, steps = assert_same_lifecycle(
            *record_both(folder, topology, messages_of(rng, items))
        )
        totals[0] += episodes
        totals[1] += steps
    assert totals[0] > 1000 and totals[1] > 1000  # streams with a lifecycle to compare


def store(rows: list[tuple[Any, ...]] | None = None) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.executescript(SCHEMA)
    if rows:
        conn.executemany(ONE_EPISODE_UPSERT, rows)
    return conn


episode_rows = st.lists(
    st.tuples(
        st.sampled_from([1, 2]),
        st.sampled_from(["fa", "fb", "fc"]),
        st.integers(1, 3),
        st.integers(1, 4),
        st.sampled_from([None, "x", "y"]),
        st.floats(0, 100, allow_nan=False),
        st.none() | st.floats(0, 100, allow_nan=False),
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(before=episode_rows, rows=episode_rows)
def test_coalesced_episode_upserts_leave_what_one_upsert_per_row_leaves(before, rows) -> None:
    one_by_one, coalesced = store(before), store(before)
    one_by_one.executemany(ONE_EPISODE_UPSERT, rows)
    insert_rows(coalesced, "INSERT INTO episodes", coalesce_episodes(rows), EPISODE_UPSERT)
    query = "SELECT * FROM episodes ORDER BY source, fingerprint, episode"
    assert coalesced.execute(query).fetchall() == one_by_one.execute(query).fetchall()


def test_multi_row_inserts_keep_the_rows_and_their_order(tmp_path) -> None:
    rng = random.Random(3)
    count = ROWS_PER_STATEMENT * 2 + 7  # full statements and a shorter last one
    rows = [
        (1, f"D{rng.randrange(300)}", rng.choice(("opened", "closed")), float(rng.randrange(50)),
         rng.randrange(5), None, None, None, f"[{n}]")
        for n in range(count)
    ]  # fmt: skip
    plain, many = store(), store()
    plain.executemany("INSERT OR IGNORE INTO domain_steps VALUES (?,?,?,?,?,?,?,?,?)", rows)
    insert_rows(many, "INSERT OR IGNORE INTO domain_steps", rows)
    query = "SELECT * FROM domain_steps ORDER BY rowid"
    stored = many.execute(query).fetchall()
    assert stored == plain.execute(query).fetchall()
    assert len(stored) < count  # duplicates were ignored, the first of each kept


def test_chunks_hold_each_item_as_payload_entry_encodes_it(tmp_path) -> None:
    """The writer's chunks are `payload.chunk_of`'s, byte for byte (alert events and
    rejects, dated and not), and decode back to the items."""
    from core.history.payload import CHUNK_ITEMS, chunk_of, decode_chunk
    from core.model import Envelope, Rejected

    rng = random.Random(11)
    topology = random_estate(rng, 40)
    items: list[tuple[float, Item]] = list(churn(rng, topology, 700))
    envelope = Envelope(ts=None, topic="alerts", partition=1, offset=7, key="k")
    for n in (0, 5, 300, 301):  # undated rejects among the events
        time = items[n - 1][0] if n else -math.inf  # before any dated item: -inf
        items.insert(n, (time, Rejected("line 3", "bad <json>", "{", envelope)))
    path = tmp_path / "chunks.sqlite"
    writer = HistoryWriter(path)
    handle = writer.open_source(SourceInfo("test:chunks", "chunks"))
    writer.add_items(handle, 0, items)
    assert writer.flush()
    writer.close()
    stored = table(path, "SELECT seq, count, payload FROM chunks ORDER BY seq")
    labels = {fp: dict(item.labels) for _, item in items if isinstance(item, AlertEvent)
              for fp in [item.fingerprint]}  # fmt: skip
    assert [seq for seq, _, _ in stored] == list(range(0, len(items), CHUNK_ITEMS))
    for seq, count, payload in stored:
        part = items[seq : seq + count]
        assert payload == chunk_of(part)
        assert decode_chunk(payload, labels) == part


def test_chunks_written_in_the_earlier_layouts_still_read() -> None:
    """Stores written before chunks held [2, times, items] hold one array per item: an
    alert as [time, fingerprint, status, severity, startsAt, endsAt, ...] with
    annotations, generatorURL, origin and envelope inline (ten values) or as one
    array (seven), a reject as [time, null, where, reason, raw, envelope]."""
    import msgspec

    from core.history.payload import chunk_of, decode_chunk, fingerprints
    from core.model import Envelope, Rejected
    from tests.builders import event

    envelope = Envelope(ts=1.5, topic="alerts", partition=0, offset=3, key=None)
    alert = event("db-1", at=10.0, summary="<b>disk</b>")
    alert = msgspec.structs.replace(alert, origin="line 4", envelope=envelope)
    reject = Rejected("line 5", "bad <json>", "{", envelope)
    head = (10.0, alert.fingerprint, 1, int(alert.severity), alert.starts_at, alert.ends_at)
    tail = (alert.annotations, alert.generator_url, alert.origin, envelope)
    old_reject = (10.0, None, reject.where, reject.reason, reject.raw, envelope)
    labels = {alert.fingerprint: dict(alert.labels)}
    expected: list[tuple[float, Item]] = [(10.0, alert), (10.0, reject)]
    encode = msgspec.msgpack.Encoder().encode
    for layout in ((*head, *tail), (*head, tail)):
        payload = encode([layout, old_reject])
        assert decode_chunk(payload, labels) == expected
        assert fingerprints(payload) == {alert.fingerprint}
    assert decode_chunk(chunk_of(expected), labels) == expected
    assert fingerprints(chunk_of(expected)) == {alert.fingerprint}
