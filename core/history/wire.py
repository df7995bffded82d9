"""The messages between the console and its history writer process (msgpack frames).

Every message is a msgspec struct encoded as a msgpack array led by its tag,
in a frame of a 4-byte little-endian length and the bytes: no pickle, and
nothing is decoded as anything but the types named here. Callbacks stay in
the console: a message carries a token, and the answer names it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, Any, TypeAlias, Union

import msgspec

from core.engine import EngineConfig
from core.graph.topology import Topology
from core.history.payload import PackedEvent, PackedReject, packed
from core.history.rows import CommitStats, DomainStep, EpisodeRow, SourceInfo
from core.model import AlertEvent
from core.operator import OperatorAction
from core.timeline import Item

MAX_FRAME = 1 << 30
"""A frame longer than this is a broken stream, not a message."""


WireEvent = PackedEvent
"""An `AlertEvent` as it travels (and as a chunk stores it): see `PackedEvent`."""
WireReject = PackedReject
"""A `Rejected` as it travels (and as a chunk stores it)."""


class TopologyWire(msgspec.Struct, array_like=True):
    """A topology as its lists (wherever it was loaded from: a file, Neo4j)."""

    ids: list[str]
    attrs: list[dict[str, Any]]
    dependencies: list[tuple[int, ...]]
    dependents: list[tuple[int, ...]]
    directed: bool
    source: str

    @classmethod
    def of(cls, topology: Topology) -> TopologyWire:
        return cls(
            topology.ids,
            topology.attrs,
            topology.dependencies,
            topology.dependents,
            topology.directed,
            topology.source,
        )

    def topology(self) -> Topology:
        return Topology(
            self.ids, self.attrs, self.dependencies, self.dependents, self.directed, self.source
        )


# -- to the writer process ---------------------------------------------------


class Open(msgspec.Struct, tag="open", array_like=True):
    handle: int
    info: SourceInfo
    token: int
    topology: TopologyWire | None = None
    config: EngineConfig | None = None


class Items(msgspec.Struct, tag="items", array_like=True):
    handle: int
    first: int  # -1: numbered on from what the store holds (append_items)
    times: list[float]  # the items' timeline times
    items: list[WireEvent | WireReject]  # as `WireItems.wire` sends them
    labels: dict[str, dict[str, str]] = {}
    """The labels of every fingerprint these items send for the first time (on this pipe)."""


class Records(msgspec.Struct, tag="records", array_like=True):
    handle: int
    records: int


class Episodes(msgspec.Struct, tag="episodes", array_like=True):
    handle: int
    rows: list[EpisodeRow]


class Steps(msgspec.Struct, tag="steps", array_like=True):
    handle: int
    steps: list[DomainStep]


class Merges(msgspec.Struct, tag="merges", array_like=True):
    handle: int
    merges: list[tuple[str, str, float]]


class Action(msgspec.Struct, tag="action", array_like=True):
    handle: int
    action: OperatorAction
    clock: float | None


class Clock(msgspec.Struct, tag="clock", array_like=True):
    handle: int
    clock: float


class Prune(msgspec.Struct, tag="prune", array_like=True):
    before: float
    token: int


class Retain(msgspec.Struct, tag="retain", array_like=True):
    days: float
    token: int


class Barrier(msgspec.Struct, tag="barrier", array_like=True):
    token: int


class Stop(msgspec.Struct, tag="stop", array_like=True):
    pass


ToWriter: TypeAlias = Union[  # noqa: UP007 (a runtime value msgspec decodes into)
    Open, Items, Records, Episodes, Steps, Merges, Action, Clock, Prune, Retain, Barrier, Stop
]


# -- from the writer process -------------------------------------------------


class Ready(msgspec.Struct, tag="ready", array_like=True):
    token: int
    source_id: int
    next_seq: int
    last_time: float | None


class BatchDone(msgspec.Struct, tag="batch", array_like=True):
    rows: int  # taken off `pending`


class Committed(msgspec.Struct, tag="committed", array_like=True):
    stats: CommitStats


class Pruned(msgspec.Struct, tag="pruned", array_like=True):
    token: int
    removed: int


class Flushed(msgspec.Struct, tag="flushed", array_like=True):
    token: int
    ok: bool


class Failed(msgspec.Struct, tag="failed", array_like=True):
    text: str


FromWriter: TypeAlias = Union[Ready, BatchDone, Committed, Pruned, Flushed, Failed]  # noqa: UP007


_NONE: dict[str, str] = {}


class WireItems:
    """Builds `Items` messages for one pipe: each item as a `WireEvent` or `WireReject`
    array, and each fingerprint's labels once, in the first message that sends it."""

    def __init__(self) -> None:
        self._sent: set[str] = set()

    def message(self, handle: int, first: int, items: Sequence[tuple[float, Item]]) -> Items:
        return Items(handle, first, *self.wire(items))

    def wire(
        self, items: Sequence[tuple[float, Item]]
    ) -> tuple[list[float], list[Any], dict[str, Any]]:
        """(the times, the items as `Items.items` encodes them, the labels they introduce)."""
        sent, none = self._sent, _NONE
        labels: dict[str, Any] = {}
        times: list[float] = []
        out: list[Any] = []
        add, at = out.append, times.append
        for time, item in items:
            at(time)
            if isinstance(item, AlertEvent):
                fingerprint = item.fingerprint
                if fingerprint not in sent:
                    sent.add(fingerprint)
                    labels[fingerprint] = item.labels
                add(  # payload.packed, inlined
                    (
                        "e",
                        fingerprint,
                        item.status,
                        none,
                        none,
                        item.starts_at,
                        item.ends_at,
                        item.event_time,
                        item.severity,
                        "",
                        "",
                        None,
                        (item.annotations, item.generator_url, item.origin, item.envelope),
                    )
                )
            else:
                add(packed(item))
        return times, out, labels


def write_frame(stream: IO[bytes], data: bytes) -> None:
    stream.write(len(data).to_bytes(4, "little") + data)
    stream.flush()


def read_frame(stream: IO[bytes]) -> bytes | None:
    """The next frame's bytes, or None at the end of the stream (or a torn frame)."""
    head = stream.read(4)
    if len(head) < 4:
        return None
    size = int.from_bytes(head, "little")
    if size > MAX_FRAME:
        raise ValueError(f"history writer frame of {size} bytes")
    data = stream.read(size)
    return data if len(data) == size else None
