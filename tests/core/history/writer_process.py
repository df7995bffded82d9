"""A history writer that never stops on its own: the kill test runs it and SIGKILLs it.

Usage: python -m tests.core.history.writer_process DB BATCH
Queues batches of BATCH events as fast as it can and prints the highest
committed sequence number after every commit ("committed N"), flushed.
"""

from __future__ import annotations

import sqlite3
import sys
import time
from pathlib import Path

from core.history.writer import CommitStats, HistoryWriter, SourceInfo
from core.model import AlertEvent, Status
from tests.builders import event


def kill_batch(seq: int, size: int) -> list[tuple[float, AlertEvent]]:
    """Items `seq` .. `seq + size - 1` of the kill tests' stream, with their times."""
    batch = []
    for n in range(seq, seq + size):
        status = Status.FIRING if n % 3 else Status.RESOLVED
        item = event(f"c{n % 97}", at=1_000_000.0 + n, status=status, name=f"A{n % 1013}")
        batch.append((item.event_time, item))
    return batch


def intact_prefix(path: Path) -> int:
    """How many items a killed writer left, checking the store is intact and holds them
    as one unbroken run from the first."""
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        count, low, high = conn.execute(
            "SELECT sum(count), min(seq), max(seq + count) - 1 FROM chunks"
        ).fetchone()
    finally:
        conn.close()
    assert (low, high) == (0, count - 1)  # one unbroken prefix
    return int(count)


def main() -> None:
    path, size = sys.argv[1], int(sys.argv[2])

    def committed(stats: CommitStats) -> None:
        for last in stats.last_seq.values():
            print(f"committed {last}", flush=True)

    writer = HistoryWriter(path, on_commit=committed)
    handle = writer.open_source(SourceInfo("test:kill", "kill test"))
    seq = 0
    while True:
        writer.add_items(handle, seq, kill_batch(seq, size))
        seq += size
        while writer.pending > 4 * size:  # keep a batch or two queued, always writing
            time.sleep(0.001)


if __name__ == "__main__":
    main()
