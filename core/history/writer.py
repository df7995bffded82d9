"""The history writer: a thread that turns queued records into rows, a batch per transaction.

Whoever drives the engine (the console's history link, `watchfloor history
import`) queues small messages and never waits on the disk: the writer drains
everything queued into one transaction (`executemany` per table), commits, and
goes on. A kill at any moment loses at most what was queued and not yet
committed; SQLite's WAL keeps the file consistent (tests/core/history kill a
writer process mid-batch and check).

A second thread commits each batch while the writer builds the next
(`_commit_loop`): SQLite writes pages with the GIL released, and with multi-row
INSERTs (`insert_rows`) a batch gives the GIL away a few dozen times, not once
per row, so the two overlap instead of stalling each other. At most one batch
waits for the committer; a kill loses what was not committed, as before.
"""

from __future__ import annotations

import itertools
import logging
import math
import queue
import sqlite3
import threading
import time as _time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from core.history.payload import CHUNK_ITEMS, PackedReject, encode_chunk, packed
from core.history.rows import (
    Batch,
    BatchSink,
    CommitStats,
    DomainStep,
    EpisodeCache,
    EpisodeRow,
    SourceInfo,
    SourceState,
    coalesce_episodes,
    step_rows,
)
from core.history.store import HistoryError, connect
from core.model import AlertEvent
from core.operator import OperatorAction
from core.timeline import Item, Record, timeline

if TYPE_CHECKING:
    from core.engine import EngineConfig
    from core.graph.topology import Topology


__all__ = ["CommitStats", "DomainStep", "EpisodeRow", "HistoryQueue", "HistoryWriter", "SourceInfo"]

log = logging.getLogger("watchfloor.history")

MAX_BATCH_ITEMS = 50_000
"""Items per transaction at most (a large backlog commits in steps)."""

_encode = msgspec.json.Encoder().encode


WAL_CHECKPOINT_PAGES = 10_000
"""Copy the WAL into the database (with an fsync) every ~40 MB of it, not SQLite's 4 MB:
a page each batch rewrites is copied once per checkpoint, not every few batches
(a fifth of the commit time on a busy stream). Checkpoints do not make commits
durable (WAL does), so a killed writer still loses only what it had not committed."""

ROWS_PER_STATEMENT = 500
"""Rows per multi-row INSERT at most (`insert_rows`)."""
_STATEMENT_ROWS = (ROWS_PER_STATEMENT, 100, 20, 4, 1)
"""The row counts `insert_rows` makes statements of: a few texts per table, each parsed
once and then taken from the connection's statement cache (a statement of any other
count would be parsed anew each batch, a tenth of the writer's time)."""


def insert_rows(
    conn: sqlite3.Connection, insert: str, rows: Sequence[tuple[Any, ...]], tail: str = ""
) -> None:
    """`insert VALUES (..), (..), .. tail` for `rows`, up to ROWS_PER_STATEMENT at a time.

    The same rows in the same order as `executemany`, in a few statements
    instead of one per row: `sqlite3` lets go of the GIL at every statement
    step, and while another thread runs Python (the console's engine) taking
    it back can wait a whole switch interval, so a commit of thousands of
    one-row steps can take seconds instead of milliseconds. `insert` and `tail`
    are the writer's own SQL; every value is bound.
    """
    if not rows:
        return
    one = "(" + ",".join("?" * len(rows[0])) + ")"
    flatten = itertools.chain.from_iterable
    start, total = 0, len(rows)
    for size in _STATEMENT_ROWS:
        if total - start < size:
            continue
        sql = f"{insert} VALUES {','.join([one] * size)}{tail}"
        while total - start >= size:
            conn.execute(sql, list(flatten(rows[start : start + size])))
            start += size


def _columns(items: Sequence[tuple[float, Item]]) -> tuple[list[float], list[Item]]:
    return [time for time, _ in items], [item for _, item in items]


def _chunk_tail(payload: bytes, skip: int) -> bytes:
    """A chunk of the same items without the first `skip`."""
    _, times, items = _chunk_decode(payload)
    return encode_chunk(times[skip:], items[skip:])


_chunk_decode = msgspec.msgpack.Decoder(tuple[int, list[float], list[msgspec.Raw]]).decode


class HistoryQueue:
    """What producers call (any thread) to record: each call queues one message and
    returns. `HistoryWriter` takes them in a thread of this process, `HistoryProcess`
    in a process of its own; they add opening a source, pruning, flush and close."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending = 0

    def add_items(self, handle: int, first_seq: int, items: Sequence[tuple[float, Item]]) -> None:
        """Items `first_seq`, `first_seq + 1`, ... of a source with their timeline times."""
        if items:
            self._put(("items", handle, first_seq, items), len(items))

    def append_items(self, handle: int, items: Sequence[tuple[float, Item]]) -> None:
        """Items that follow whatever the store holds for the source (a live topic).

        A live source starts where it is (its consumer group resumes at its
        committed offsets), so its items are numbered on from the store's count
        by the writer, and the writer's engine starts from them.
        """
        if items:
            self._put(("items", handle, -1, items), len(items))

    def set_records(self, handle: int, records: int) -> None:
        self._put(("records", handle, records))

    def add_episodes(self, handle: int, rows: Sequence[EpisodeRow]) -> None:
        if rows:
            self._put(("episodes", handle, rows), len(rows))

    def add_domain_steps(self, handle: int, steps: Sequence[DomainStep]) -> None:
        if steps:
            self._put(("steps", handle, steps), len(steps))

    def add_merges(self, handle: int, merges: Sequence[tuple[str, str, float]]) -> None:
        """(domain, the domain it merged into, when) of one source."""
        if merges:
            self._put(("merges", handle, merges), len(merges))

    def add_action(self, handle: int, action: OperatorAction, clock: float | None) -> None:
        self._put(("action", handle, action, clock), 1)

    def add_replay_items(
        self, handle: int, records: list[Record], start: int, end: int, clock: float | None = None
    ) -> None:
        """Timeline items `start` .. `end - 1` of a replay's records (as ReplayPlayer orders them),
        then the clock moved to `clock` (alerts whose endsAt passed resolve).

        The timeline is built once per records list, off the caller's thread.
        """
        if end > start:
            self._put(("replay", handle, records, start, end), end - start)
        if clock is not None:
            self.add_clock(handle, clock)

    def add_clock(self, handle: int, clock: float) -> None:
        """The source's clock moved to `clock` with no new items (the writer's engine follows)."""
        self._put(("clock", handle, clock))

    @property
    def pending(self) -> int:
        """Rows queued and not yet committed."""
        return self._pending

    def _put(self, message: tuple[Any, ...], rows: int = 0) -> None:
        if rows:
            with self._lock:
                self._pending += rows
        self._enqueue(message, rows)

    def _enqueue(self, message: tuple[Any, ...], rows: int) -> None:
        raise NotImplementedError


class HistoryWriter(HistoryQueue):
    """Owns the store's write connection in a thread; everything else only queues."""

    def __init__(
        self,
        path: str | Path,
        *,
        on_commit: Callable[[CommitStats], None] | None = None,
        on_error: Callable[[str], None] | None = None,
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        """`on_commit` after each transaction that wrote rows, `on_error` once (one line),
        `on_batch(rows)` after every batch with the rows it took off `pending`."""
        super().__init__()
        self.path = Path(path).expanduser()
        self._on_batch = on_batch
        # Batches built and not yet committed (at most one waits): see the module doc.
        self._commits: queue.Queue[tuple[Batch, int] | None] = queue.Queue(maxsize=1)
        # Open (and create) on the caller's thread so a bad path fails right here.
        self._conn: sqlite3.Connection | None = connect(self.path)
        self._conn.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
        # (message, rows it adds to `pending`)
        self._queue: queue.SimpleQueue[tuple[tuple[Any, ...], int]] = queue.SimpleQueue()
        self._sources: dict[int, SourceState] = {}
        self._next_handle = 0
        self._on_commit = on_commit
        self._on_error = on_error
        self._known_labels: set[str] = set()
        # Labels of fingerprints whose events may come without them (`add_labels`)
        self._labels: dict[str, dict[str, str]] = {}
        self._last_roots: dict[tuple[int, str], str] = {}
        self._timelines: dict[int, tuple[list[Record], list[tuple[float, Item]]]] = {}
        self._episodes = EpisodeCache()
        self._stored_before: dict[int, int] = {}  # source id -> items stored before this run
        self.error: str | None = None
        self.committed_items = 0
        self._committer = threading.Thread(
            target=self._commit_loop, name="history-commit", daemon=True
        )
        self._committer.start()
        self._thread = threading.Thread(target=self._run, name="history-writer", daemon=True)
        self._thread.start()

    # -- what producers call (any thread) -------------------------------------

    def open_source(
        self,
        info: SourceInfo,
        ready: Callable[[int, int, float | None], None] | None = None,
        *,
        topology: Topology | None = None,
        config: EngineConfig | None = None,
    ) -> int:
        """Register a source; returns a handle for the other calls.

        `ready(source_id, next_seq, last_time)` is called from the writer thread
        once the store knows the source (`next_seq`: how many of its items it
        holds; `last_time`: the newest event time stored for it, or None).
        With a `topology`, the writer runs its own engine over the source's
        items (from the first) and records alert episodes and the domain
        lifecycle from its exact deltas; the items must then come in order.
        """
        with self._lock:
            handle = self._next_handle
            self._next_handle += 1
        self._put(("source", handle, info, ready, topology, config))
        return handle

    def add_labels(self, labels: dict[str, dict[str, str]]) -> None:
        """Labels by fingerprint, for packed items queued after this call (`add_packed`),
        whose events come without them; stored once per fingerprint."""
        if labels:
            self._labels.update(labels)
            self._put(("labels", labels))

    def add_packed(
        self,
        handle: int,
        first: int,
        times: list[float],
        items: Sequence[Any],
        chunks: list[bytes],
    ) -> None:
        """`add_items` (`first` -1: `append_items`) for items as the writer process receives
        them (core.history.wire.Items): their times, what its engine reads of each, and
        the chunks to store (one per CHUNK_ITEMS of them), stored as they are."""
        if items:
            self._put(("packed", handle, first, times, items, chunks), len(items))

    def prune(self, before: float, done: Callable[[int], None] | None = None) -> None:
        """Prune what retention no longer keeps (see core.history.retention), in the thread."""
        self._put(("prune", before, done))

    def retain(self, days: float, done: Callable[[int], None] | None = None) -> None:
        """Prune everything older than `days` before the newest stored item, in the thread."""
        self._put(("retain", days, done))

    def flush(self, timeout: float | None = 30.0) -> bool:
        """Wait until everything queued so far is committed; False on timeout or error."""
        if not self._thread.is_alive():
            return False
        event = threading.Event()
        self.barrier(event.set)
        return event.wait(timeout) and self.error is None

    def barrier(self, done: Callable[[], None]) -> None:
        """Call `done` (in the writer's threads) once everything queued so far is committed."""
        self._put(("barrier", done))

    def close(self, timeout: float = 30.0) -> None:
        """Commit what is queued and stop the thread."""
        if self._thread.is_alive():
            self._put(("stop",))
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _enqueue(self, message: tuple[Any, ...], rows: int) -> None:
        self._queue.put((message, rows))

    # -- the thread -----------------------------------------------------------

    def _run(self) -> None:
        stop = False
        while not stop:
            message, rows = self._queue.get()
            batch = Batch()
            count = 0
            while True:
                kind = message[0]
                count += rows
                if kind == "stop":
                    stop = True
                else:
                    try:
                        self._take(message, batch)
                    except (sqlite3.Error, HistoryError, KeyError) as exc:
                        # KeyError: a message for a source that could not be registered
                        self._fail(exc)
                if stop or count >= MAX_BATCH_ITEMS or kind == "source":
                    break
                try:
                    message, rows = self._queue.get_nowait()
                except queue.Empty:
                    break
            self._commits.put((batch, count))
        self._commits.put(None)
        self._committer.join()
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _commit_loop(self) -> None:
        """The committer thread: writes each batch the writer built, in order."""
        while True:
            job = self._commits.get()
            if job is None:
                self._commits.task_done()
                return
            batch, count = job
            try:
                self._commit(batch, count)
            except (sqlite3.Error, HistoryError) as exc:
                self._fail(exc)
            finally:
                for done in batch.waiters:
                    done()
                self._commits.task_done()

    def _committed_all(self) -> None:
        """Wait until every batch built so far is committed (before the writer reads the store)."""
        self._commits.join()

    def _fail(self, exc: BaseException) -> None:
        first = self.error is None
        self.error = f"history write failed: {exc}"
        if first:  # one line for the operator, not one per batch
            log.error("%s", self.error)
            if self._on_error is not None:
                self._on_error(self.error)

    def _take(self, message: tuple[Any, ...], batch: Batch) -> int:
        kind = message[0]
        if kind == "source":
            _, handle, info, ready, topology, config = message
            source = self._register(info)
            if topology is not None:
                from core.history.recorder import EngineRecorder, EpisodeEngine

                source.engine = EpisodeEngine(topology, config, self._labels)
                source.recorder = EngineRecorder(self, handle)
            self._sources[handle] = source
            if ready is not None:
                assert source.id is not None
                ready(source.id, source.next_seq, source.last_time)
            return 0
        if kind == "items":
            _, handle, first, items = message
            source = self._sources[handle] if first >= 0 else self._appending(handle)
            return self._take_items(source, first, *_columns(items), batch)
        if kind == "packed":
            _, handle, first, times, items, chunks = message
            source = self._sources[handle] if first >= 0 else self._appending(handle)
            return self._take_items(source, first, times, items, batch, chunks)
        if kind == "labels":
            known = self._known_labels
            for fingerprint, given in message[1].items():
                if fingerprint not in known:
                    known.add(fingerprint)
                    batch.labels[fingerprint] = _encode(given).decode()
            return 0
        if kind == "records":
            _, handle, records = message
            source = self._sources[handle]
            assert source.id is not None
            batch.records.append((records, source.id))
            return 0
        if kind == "episodes":
            _, handle, rows = message
            self._episodes.take(batch, self._sources[handle].id, rows)
            return len(rows)
        if kind == "steps":
            _, handle, steps = message
            sid = self._sources[handle].id
            assert sid is not None
            batch.step_rows.extend(step_rows(sid, steps, self._last_roots))
            return len(steps)
        if kind == "merges":
            _, handle, merges = message
            sid = self._sources[handle].id
            batch.merges.extend((sid, *merge) for merge in merges)
            return len(merges)
        if kind == "action":
            _, handle, action, clock = message
            sid = self._sources[handle].id
            batch.actions.append(
                (sid, action.domain_id, str(action.kind), action.who, action.at, clock, action.text)
            )
            return 1
        if kind == "replay":
            _, handle, records, start, end = message
            cached = self._timelines.get(handle)
            if cached is None or cached[0] is not records:
                cached = (records, timeline(records))
                self._timelines[handle] = cached
            return self._take_items(
                self._sources[handle], start, *_columns(cached[1][start:end]), batch
            )
        if kind == "clock":
            self._advance(self._sources[message[1]], message[2], batch)
            return 0
        if kind == "prune":
            batch.prune.append(("before", message[1], message[2]))
            return 0
        if kind == "retain":  # the cutoff is found after this batch is written
            batch.prune.append(("days", message[1], message[2]))
            return 0
        if kind == "barrier":
            batch.waiters.append(message[1])
            return 0
        raise AssertionError(f"unknown history message {kind!r}")

    def _register(self, info: SourceInfo) -> SourceState:
        conn = self._conn
        assert conn is not None
        self._committed_all()
        if info.content:
            from core.history.recorder import file_digest

            try:
                info = SourceInfo(
                    f"{info.key}{file_digest(info.content)}", info.name, info.topology, info.records
                )
            except OSError as exc:
                raise HistoryError(f"cannot read {info.content!r}: {exc}") from None
        with conn:
            conn.execute(
                "INSERT OR IGNORE INTO sources(key, name, topology, records, created) "
                "VALUES (?, ?, ?, ?, ?)",
                (info.key, info.name, info.topology, info.records, _time.time()),
            )
            conn.execute(
                "UPDATE sources SET name=?, topology=?, records=max(records, ?) WHERE key=?",
                (info.name, info.topology, info.records, info.key),
            )
        sid = conn.execute("SELECT id FROM sources WHERE key=?", (info.key,)).fetchone()[0]
        top, last = conn.execute(
            "SELECT (SELECT max(seq + count) - 1 FROM chunks WHERE source=?), last_time "
            "FROM sources WHERE id=?",
            (sid, sid),
        ).fetchone()
        stored = 0 if top is None else int(top) + 1
        self._stored_before[int(sid)] = stored
        return SourceState(info, int(sid), stored, last)

    def _appending(self, handle: int) -> SourceState:
        """A live source's state, its engine started with this session's first items."""
        source = self._sources[handle]
        if source.applied < source.next_seq:
            source.applied = source.next_seq
            self._continue_episodes(source)
        return source

    def _take_items(
        self,
        source: SourceState,
        first: int,
        times: Sequence[float],
        items: Sequence[Item],
        batch: Batch,
        chunks: list[bytes] | None = None,
    ) -> int:
        """Items `first`, `first + 1`, .. of a source (-1: on from what the store holds;
        `times`: their timeline times) into chunks, and through its engine. `chunks`: the
        chunks of the items as made by the console (`add_packed`: one per CHUNK_ITEMS of
        them, their labels given by `add_labels`), stored as they are; None: plain items,
        packed here with their labels."""
        sid = source.id
        assert sid is not None
        if first < 0:
            first = source.next_seq
        stored_labels = batch.labels
        skip = max(0, source.next_seq - first)  # already stored (a replay opened again)
        if skip >= len(items):
            self._shadow(source, first, items, batch)
            return 0
        rows = batch.items
        low = high = None  # the dated (not -inf) times' range
        for start in range(skip - skip % CHUNK_ITEMS, len(items), CHUNK_ITEMS):
            end = start + CHUNK_ITEMS
            when = times[start:end]
            part: Sequence[Any]
            if chunks is None:
                if start < skip:
                    start, when = skip, times[skip:end]
                part, events = self._pack(items[start:end], stored_labels)
                payload = encode_chunk(when, part)
            else:
                part, payload = items[start:end], chunks[start // CHUNK_ITEMS]
                if start < skip:  # its first part is stored already: keep the rest
                    start, when, payload = skip, times[skip:end], _chunk_tail(payload, skip - start)
                    part = items[start:end]
                events = len(part) - list(map(type, part)).count(PackedReject)
            first_time, last_time = min(when), max(when)
            rows.append((sid, first + start, len(part), events, first_time, last_time, payload))
            if first_time == -math.inf:  # undated rejects: they take no part in the range
                dated = [time for time in when if time != -math.inf]
                if not dated:
                    continue
                first_time = min(dated)
            if low is None or high is None:
                low, high = first_time, last_time
            else:
                low, high = min(low, first_time), max(high, last_time)
        batch.item_count += len(items) - skip
        seq = first + len(items)
        source.next_seq = seq
        batch.last_seq[sid] = seq - 1
        self._shadow(source, first, items, batch)
        if low is not None and high is not None:
            old = batch.clocks.get(sid)
            if old is not None:
                low, high = min(old[0], low), max(old[1], high)
            batch.clocks[sid] = (low, high)
        return len(items) - skip

    def _pack(self, items: Sequence[Item], labels: dict[str, str]) -> tuple[list[Any], int]:
        """Plain items as a chunk holds them (`payload.packed`), and how many are alert
        events; the labels of fingerprints the store has not had go into the batch."""
        known, sent = self._known_labels, self._labels
        out: list[Any] = []
        events = 0
        for item in items:
            if isinstance(item, AlertEvent):
                events += 1
                fingerprint = item.fingerprint
                if fingerprint not in known:
                    known.add(fingerprint)
                    given = item.labels or sent.get(fingerprint, item.labels)
                    labels[fingerprint] = _encode(given).decode()
            out.append(packed(item))
        return out, events

    def _continue_episodes(self, source: SourceState) -> None:
        """Number this session's episodes of a live source on after the stored ones."""
        assert self._conn is not None and source.id is not None
        self._committed_all()
        rows = self._conn.execute(
            "SELECT fingerprint, episode, start, end FROM episodes e WHERE source=? "
            "AND episode = (SELECT max(episode) FROM episodes x WHERE x.source=e.source "
            "AND x.fingerprint=e.fingerprint)",
            (source.id,),
        ).fetchall()
        self._episodes.continue_after(
            source.id,
            {fp: (int(n), None if end is not None else start) for fp, n, start, end in rows},
        )

    def _advance(self, source: SourceState, clock: float, batch: Batch) -> None:
        """The source's clock moved without items: its engine expires what endsAt ends."""
        engine, recorder = source.engine, source.recorder
        if engine is None or recorder is None or source.id is None:
            return
        if engine.clock is None or clock > engine.clock:
            recorder.sink = BatchSink(batch, source.id, self._episodes, self._last_roots)
            recorder.delta(engine, engine.advance_to(clock))

    def _shadow(self, source: SourceState, first: int, items: Sequence[Item], batch: Batch) -> None:
        """Apply items to the source's own engine; record what changed past the stored part."""
        engine, recorder = source.engine, source.recorder
        if engine is None or recorder is None or source.id is None:
            return
        from core.history.recorder import IMPORT_BATCH

        if first != source.applied:  # a gap or an overlap: the engine cannot follow
            if first > source.applied:
                log.warning("history: items %d..%d never arrived", source.applied, first - 1)
            skip = source.applied - first
            if skip >= len(items):
                return
            items, first = items[max(skip, 0) :], max(first, source.applied)
        recorder.sink = BatchSink(batch, source.id, self._episodes, self._last_roots)
        stored = self._stored_before.get(source.id, 0)
        for offset in range(0, len(items), IMPORT_BATCH):
            chunk = items[offset : offset + IMPORT_BATCH]
            recorder.muted = first + offset + len(chunk) <= stored
            recorder.delta(engine, engine.apply(chunk))
        recorder.muted = False
        source.applied = first + len(items)

    def _commit(self, batch: Batch, count: int) -> None:
        conn = self._conn
        assert conn is not None
        started = _time.perf_counter()
        if len(batch) or batch.records:
            with conn:  # one transaction per batch
                if batch.records:
                    conn.executemany(
                        "UPDATE sources SET records=max(records, ?) WHERE id=?", batch.records
                    )
                if batch.labels:
                    insert_rows(
                        conn,
                        "INSERT OR IGNORE INTO labels(fingerprint, labels)",
                        list(batch.labels.items()),
                    )
                if batch.items:
                    insert_rows(conn, "INSERT OR IGNORE INTO chunks", batch.items)
                for sid, (low, high) in batch.clocks.items():
                    conn.execute(
                        "UPDATE sources SET first_time=min(coalesce(first_time, ?), ?), "
                        "last_time=max(coalesce(last_time, ?), ?) WHERE id=?",
                        (low, low, high, high, sid),
                    )
                if batch.episodes:
                    insert_rows(
                        conn,
                        "INSERT INTO episodes",
                        coalesce_episodes(batch.episodes),
                        " ON CONFLICT(source, fingerprint, episode) DO UPDATE SET "
                        "severity=max(severity, excluded.severity), "
                        "component=excluded.component, end=excluded.end",
                    )
                if batch.ended:
                    conn.executemany(
                        "UPDATE episodes SET end=? WHERE source=? AND fingerprint=? "
                        "AND episode<? AND end IS NULL",
                        batch.ended,
                    )
                if batch.step_rows:
                    insert_rows(conn, "INSERT OR IGNORE INTO domain_steps", batch.step_rows)
                if batch.merges:
                    insert_rows(conn, "INSERT OR IGNORE INTO merges", batch.merges)
                if batch.actions:
                    conn.executemany(
                        "INSERT OR IGNORE INTO actions(source, domain, kind, who, at, clock, text)"
                        " VALUES (?,?,?,?,?,?,?)",
                        batch.actions,
                    )
        with self._lock:
            self._pending = max(0, self._pending - count)
        self.committed_items += batch.item_count
        if self._on_batch is not None:
            self._on_batch(count)
        if self._on_commit is not None and len(batch):
            self._on_commit(
                CommitStats(
                    batch.item_count,
                    dict(batch.last_seq),
                    _time.perf_counter() - started,
                    self._pending,
                )
            )
        for how, value, done in batch.prune:
            from core.history.retention import prune, retention_cutoff

            cutoff = retention_cutoff(conn, value) if how == "days" else value
            removed = 0 if cutoff is None else prune(conn, cutoff)
            if done is not None:
                done(removed)
