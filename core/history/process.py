"""`HistoryProcess`: the history writer in a process of its own, with `HistoryWriter`'s API.

The writer's engine, its row building and SQLite take a core's worth of
interpreter time on a busy stream; in a thread they share the console's
interpreter lock with the GUI thread. Here they run in a child
(`python -m core.history.child DB`, started fresh, never forked from the Qt
process), fed msgpack frames (core.history.wire) over a pipe. The caller only
queues references, as with the thread: a sender thread encodes and writes
them (it builds a replay's timeline once, as the writer thread did), a reader
thread delivers `ready`, `on_commit`, `on_error` and the `done` callbacks.

A killed or crashed child loses at most what it had not committed (it is a
`HistoryWriter`: see core/history/writer.py); the console gets one line on
`on_error`, `alive` turns False and later calls are dropped.
"""

from __future__ import annotations

import itertools
import logging
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import msgspec

import core
from core.history import wire
from core.history.rows import CommitStats, SourceInfo
from core.history.store import connect
from core.history.writer import HistoryQueue
from core.timeline import Item, Record, timeline

if TYPE_CHECKING:
    from core.engine import EngineConfig
    from core.graph.topology import Topology

__all__ = ["HistoryProcess"]

log = logging.getLogger("watchfloor.history")

STOP_TIMEOUT_S = 30.0


class HistoryProcess(HistoryQueue):
    """Owns a history writer process; everything else only queues (any thread)."""

    def __init__(
        self,
        path: str | Path,
        *,
        on_commit: Callable[[CommitStats], None] | None = None,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__()
        self.path = Path(path).expanduser()
        connect(self.path).close()  # a bad path fails right here (HistoryError), as before
        self._on_commit = on_commit
        self._on_error = on_error
        self._outbox: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        self._tokens = itertools.count(1)
        self._handles = itertools.count()
        self._callbacks: dict[int, Callable[..., None]] = {}
        self._flushes: dict[int, threading.Event] = {}
        self._timelines: dict[int, tuple[list[Record], list[tuple[float, Item]]]] = {}
        self._items = wire.WireItems()  # the sender thread's
        self._child: subprocess.Popen[bytes] | None = None
        self._started = threading.Event()
        self._stopping = False
        self._dead = False
        self.error: str | None = None
        self.committed_items = 0
        self._reader: threading.Thread | None = None
        # The child starts in the sender thread: the caller never waits for it.
        self._sender = threading.Thread(target=self._send_loop, name="history-send", daemon=True)
        self._sender.start()

    # -- what producers call (any thread), as HistoryWriter -------------------

    def open_source(
        self,
        info: SourceInfo,
        ready: Callable[[int, int, float | None], None] | None = None,
        *,
        topology: Topology | None = None,
        config: EngineConfig | None = None,
    ) -> int:
        """See `HistoryWriter.open_source`; `ready` comes from the reader thread."""
        with self._lock:
            handle = next(self._handles)
        token = self._token(ready) if ready is not None else 0
        self._put(("open", handle, info, token, topology, config))
        return handle

    def prune(self, before: float, done: Callable[[int], None] | None = None) -> None:
        self._put(("prune", before, self._token(done) if done is not None else 0))

    def retain(self, days: float, done: Callable[[int], None] | None = None) -> None:
        self._put(("retain", days, self._token(done) if done is not None else 0))

    def flush(self, timeout: float | None = 30.0) -> bool:
        """Wait until everything queued so far is committed; False on timeout or error."""
        if not self.alive:
            return False
        event = threading.Event()
        with self._lock:
            token = next(self._tokens)
            self._flushes[token] = event
        self._put(("barrier", token))
        return event.wait(timeout) and self.error is None and not self._dead

    def close(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """Commit what is queued and stop the process."""
        if self._stopping:
            return
        self._stopping = True
        self._outbox.put(("stop",))
        self._sender.join(timeout)
        child = self._child
        if child is not None:
            try:
                child.wait(timeout)
            except subprocess.TimeoutExpired:
                log.error("history writer did not stop in %.0f s: killed", timeout)
                child.kill()
                child.wait()
        if self._reader is not None:
            self._reader.join(timeout)

    @property
    def alive(self) -> bool:
        return not self._dead and not self._stopping

    @property
    def pid(self) -> int | None:
        """The writer process's id once it started (None before)."""
        self._started.wait(STOP_TIMEOUT_S)
        return None if self._child is None else self._child.pid

    def _token(self, callback: Callable[..., None]) -> int:
        with self._lock:
            token = next(self._tokens)
            self._callbacks[token] = callback
            return token

    def _put(self, message: tuple[Any, ...], rows: int = 0) -> None:
        if not self._dead:
            super()._put(message, rows)

    def _enqueue(self, message: tuple[Any, ...], rows: int) -> None:
        self._outbox.put(message)

    # -- the sender thread ----------------------------------------------------

    def _start(self) -> subprocess.Popen[bytes]:
        package_root = str(Path(core.__file__).resolve().parents[1])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            part for part in (package_root, env.get("PYTHONPATH", "")) if part
        )
        return subprocess.Popen(  # noqa: S603 (our interpreter, our module, the store's path)
            [sys.executable, "-m", "core.history.child", str(self.path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            cwd=package_root,
        )

    def _send_loop(self) -> None:
        try:
            self._child = child = self._start()
        except OSError as exc:
            self._started.set()
            self._died(f"history writer could not start: {exc}")
            return
        self._started.set()
        assert child.stdin is not None and child.stdout is not None
        self._reader = threading.Thread(
            target=self._read_loop, args=(child.stdout,), name="history-read", daemon=True
        )
        self._reader.start()
        # A topology attribute msgpack has no type for (a Neo4j date, say) travels as its
        # text: the writer's engine reads only ids, links and names.
        encode = msgspec.msgpack.Encoder(enc_hook=str).encode
        stream: IO[bytes] = child.stdin
        while True:
            message = self._outbox.get()
            if message[0] == "stop":
                try:
                    wire.write_frame(stream, encode(wire.Stop()))
                    stream.close()
                except (BrokenPipeError, ValueError, OSError):
                    pass
                return
            if self._dead:
                continue
            try:
                wire.write_frame(stream, encode(self._wire(message)))
            except (BrokenPipeError, ValueError, OSError):
                continue  # the reader sees the end and says why, once
            except (TypeError, msgspec.EncodeError) as exc:  # e.g. a topology attribute
                self._fail(f"history write failed: cannot send {message[0]}: {exc}")

    def _wire(self, message: tuple[Any, ...]) -> wire.ToWriter:
        kind = message[0]
        if kind == "items":
            _, handle, first, items = message
            return self._items.message(handle, first, items)
        if kind == "replay":
            _, handle, records, start, end = message
            cached = self._timelines.get(handle)
            if cached is None or cached[0] is not records:
                cached = (records, timeline(records))
                self._timelines[handle] = cached
            return self._items.message(handle, start, cached[1][start:end])
        if kind == "clock":
            return wire.Clock(message[1], message[2])
        if kind == "open":
            _, handle, info, token, topology, config = message
            shape = None if topology is None else wire.TopologyWire.of(topology)
            return wire.Open(handle, info, token, shape, config)
        if kind == "records":
            return wire.Records(message[1], message[2])
        if kind == "episodes":
            return wire.Episodes(message[1], list(message[2]))
        if kind == "steps":
            return wire.Steps(message[1], list(message[2]))
        if kind == "merges":
            return wire.Merges(message[1], list(message[2]))
        if kind == "action":
            return wire.Action(message[1], message[2], message[3])
        if kind == "prune":
            return wire.Prune(message[1], message[2])
        if kind == "retain":
            return wire.Retain(message[1], message[2])
        if kind == "barrier":
            return wire.Barrier(message[1])
        raise AssertionError(f"unknown history message {kind!r}")

    # -- the reader thread ----------------------------------------------------

    def _read_loop(self, stream: IO[bytes]) -> None:
        decode = msgspec.msgpack.Decoder(wire.FromWriter).decode
        try:
            while True:
                data = wire.read_frame(stream)
                if data is None:
                    break
                self._answer(decode(data))
        except (msgspec.DecodeError, msgspec.ValidationError, ValueError, OSError) as exc:
            log.error("history writer: unreadable answer: %s", exc)
        child = self._child
        status = None if child is None else child.wait()
        if not self._stopping or status not in (0, None):
            self._died(f"history writer stopped (exit status {status}): recording is off")
        else:
            self._dead = True
            self._release()

    def _answer(self, answer: wire.FromWriter) -> None:
        if isinstance(answer, wire.BatchDone):
            with self._lock:
                self._pending = max(0, self._pending - answer.rows)
        elif isinstance(answer, wire.Committed):
            stats = answer.stats
            self.committed_items += stats.items
            if self._on_commit is not None:
                self._on_commit(
                    CommitStats(stats.items, stats.last_seq, stats.seconds, self._pending)
                )
        elif isinstance(answer, wire.Ready):
            callback = self._callbacks.pop(answer.token, None)
            if callback is not None:
                callback(answer.source_id, answer.next_seq, answer.last_time)
        elif isinstance(answer, wire.Pruned):
            callback = self._callbacks.pop(answer.token, None)
            if callback is not None:
                callback(answer.removed)
        elif isinstance(answer, wire.Flushed):
            with self._lock:
                event = self._flushes.pop(answer.token, None)
            if event is not None:
                event.set()
        elif isinstance(answer, wire.Failed):
            self._fail(answer.text)

    def _fail(self, text: str) -> None:
        first = self.error is None
        self.error = text
        if first:  # one line for the operator, not one per batch
            log.error("%s", text)
            if self._on_error is not None:
                self._on_error(text)

    def _died(self, text: str) -> None:
        self._dead = True
        self._fail(text)
        self._release()

    def _release(self) -> None:
        """Wake every flush still waiting (it returns False once the process is gone)."""
        with self._lock:
            waiting, self._flushes = list(self._flushes.values()), {}
        for event in waiting:
            event.set()
