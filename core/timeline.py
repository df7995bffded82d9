"""A recorded stream as a timeline: decoded records, ordered by event time.

Replay and `watchfloor analyze` share one definition of "the state as of T":
every observation with event time <= T, applied in event-time order, ties
(and undated rejects) in arrival order. Because both apply the same
observations in the same order, playing a replay forward, stepping, and
seeking (backwards too) all land on exactly the state `analyze --at` reports,
down to domain ids. (A live stream is applied in arrival order instead; the
engine copes with late and out-of-order observations either way.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.ingest.decode import Decoder
from core.ingest.replay import iter_replay
from core.model import AlertEvent, Rejected

Item = AlertEvent | Rejected


@dataclass(frozen=True, slots=True)
class Record:
    """One replay line and what it decoded to."""

    line: int
    items: tuple[Item, ...]


def load_records(path: str | Path, progress: Callable[[int], None] | None = None) -> list[Record]:
    """Decode a replay file into records, in file order (raises ReplayError)."""
    decoder = Decoder()
    records: list[Record] = []
    for number, (events, rejects) in enumerate(iter_replay(path, decoder), start=1):
        records.append(Record(number, (*events, *rejects)))
        if progress is not None and number % 10_000 == 0:
            progress(number)
    return records


def item_time(item: Item) -> float | None:
    """When an observation happened; a reject only when its envelope says so."""
    if isinstance(item, AlertEvent):
        return item.event_time
    return item.envelope.ts if item.envelope is not None else None


def timeline(records: list[Record]) -> list[tuple[float, Item]]:
    """Every item with its sort time, in event-time order (stable: arrival order on ties).

    An undated reject takes the time of the last dated item before it, so it
    shows up where it arrived.
    """
    dated: list[tuple[float, Item]] = []
    last = float("-inf")
    for record in records:
        for item in record.items:
            time = item_time(item)
            if time is not None:
                last = time
            dated.append((last if time is None else time, item))
    dated.sort(key=lambda pair: pair[0])
    return dated
