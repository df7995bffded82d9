"""The history writer process: a `HistoryWriter` fed by msgpack frames on stdin.

Started by `core.history.process.HistoryProcess` (python -m core.history.child DB);
answers on stdout (see core.history.wire). Its engine, row building and SQLite
run here, on their own interpreter lock, never on the console's. The end of
stdin (the console gone) commits what was queued and exits, as a stop does.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import threading
from typing import IO

import msgspec

from core.history import wire
from core.history.store import HistoryError
from core.history.writer import HistoryWriter


class _Answers:
    """Frames back to the console, from any of the writer's threads."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self._encode = msgspec.msgpack.Encoder().encode

    def send(self, message: wire.FromWriter) -> None:
        data = self._encode(message)
        # BrokenPipeError, ValueError: the console is gone, nobody to tell
        with self._lock, contextlib.suppress(BrokenPipeError, ValueError):
            wire.write_frame(self._stream, data)


GC_THRESHOLD = 50_000
"""Container allocations between young collections (Python's default: 700)."""

SWITCH_INTERVAL_S = 0.0002
"""How long a thread holds the interpreter lock while another waits (Python's default:
5 ms). The committer thread lets go of it at every SQLite statement and then waited
up to the whole interval to take it back from the writer thread, so commits took
4-5 times their CPU time and the writer stood blocked behind them: at 5 ms the
grouped stream recorded 110k events/s, at 1 ms 124-130k, at 0.2 ms 131-140k."""


def serve(path: str, inbox: IO[bytes], outbox: IO[bytes]) -> int:
    # This process holds a topology, an engine and a stream of decoded events:
    # millions of long-lived containers that the cyclic collector would scan
    # over and over (most of the decoding time at the default thresholds).
    # What is built so far, and each source's engine once built, is frozen out
    # of its reach; the young generation is collected less often.
    gc.set_threshold(GC_THRESHOLD, 20, 100)
    gc.freeze()
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    answers = _Answers(outbox)
    try:
        writer = HistoryWriter(
            path,
            on_commit=lambda stats: answers.send(wire.Committed(stats)),
            on_error=lambda text: answers.send(wire.Failed(text)),
            on_batch=lambda rows: answers.send(wire.BatchDone(rows)),
        )
    except HistoryError as exc:
        answers.send(wire.Failed(str(exc)))
        return 1
    decode = msgspec.msgpack.Decoder(wire.ToWriter).decode
    handles: dict[int, int] = {}  # the console's handle -> the writer's
    try:
        while True:
            data = wire.read_frame(inbox)
            if data is None:
                break
            message = decode(data)
            if isinstance(message, wire.Stop):
                break
            _take(writer, handles, answers, message)
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
        answers.send(wire.Failed(f"history writer: bad message from the console: {exc}"))
        writer.close()
        return 1
    writer.close()
    return 0


def _take(
    writer: HistoryWriter, handles: dict[int, int], answers: _Answers, message: wire.ToWriter
) -> None:
    if isinstance(message, wire.Open):
        token = message.token

        def ready(source_id: int, next_seq: int, last_time: float | None) -> None:
            gc.freeze()  # the topology and the engine just built: never scanned again
            answers.send(wire.Ready(token, source_id, next_seq, last_time))

        topology = None if message.topology is None else message.topology.topology()
        handles[message.handle] = writer.open_source(
            message.info, ready, topology=topology, config=message.config
        )
        return
    if isinstance(message, (wire.Prune, wire.Retain)):
        token = message.token

        def done(removed: int) -> None:
            answers.send(wire.Pruned(token, removed))

        if isinstance(message, wire.Prune):
            writer.prune(message.before, done)
        else:
            writer.retain(message.days, done)
        return
    if isinstance(message, wire.Barrier):
        token = message.token
        writer.barrier(lambda: answers.send(wire.Flushed(token, writer.error is None)))
        return
    if isinstance(message, wire.Stop):
        return
    if isinstance(message, wire.Items):  # for whichever source sends them next
        writer.add_labels(message.labels)
    if message.handle not in handles:  # a source the console could not send (it said why)
        return
    handle = handles[message.handle]
    if isinstance(message, wire.Items):
        writer.add_packed(handle, message.first, message.times, message.items, message.chunks)
    elif isinstance(message, wire.Clock):
        writer.add_clock(handle, message.clock)
    elif isinstance(message, wire.Records):
        writer.set_records(handle, message.records)
    elif isinstance(message, wire.Episodes):
        writer.add_episodes(handle, message.rows)
    elif isinstance(message, wire.Steps):
        writer.add_domain_steps(handle, message.steps)
    elif isinstance(message, wire.Merges):
        writer.add_merges(handle, message.merges)
    elif isinstance(message, wire.Action):
        writer.add_action(handle, message.action, message.clock)


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: python -m core.history.child DB", file=sys.stderr)
        return 2
    # Frames go to the console on a copy of stdout; whatever else prints goes to stderr.
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return serve(sys.argv[1], sys.stdin.buffer, answers)


if __name__ == "__main__":
    sys.exit(main())
