"""The messages between the console and its history writer process (msgpack frames).

Every message is a msgspec struct encoded as a msgpack array led by its tag,
in a frame of a 4-byte little-endian length and the bytes: no pickle, and
nothing is decoded as anything but the types named here. Callbacks stay in
the console: a message carries a token, and the answer names it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, Any, ClassVar, TypeAlias, Union

import msgspec

from core.engine import EngineConfig
from core.graph.topology import Topology
from core.history.payload import CHUNK_ITEMS, PackedReject, encode_chunk, packed
from core.history.rows import CommitStats, DomainStep, EpisodeRow, SourceInfo
from core.model import AlertEvent, Severity, Status
from core.operator import OperatorAction
from core.timeline import Item

MAX_FRAME = 1 << 30
"""A frame longer than this is a broken stream, not a message."""


class ShadowEvent(msgspec.Struct, frozen=True, array_like=True, tag="e", gc=False):
    """What the writer process's engine reads of an alert event: its six values, as an
    array ("e" and them), without the dicts and strings the store keeps (the store gets
    the console's own chunk bytes, `Items.chunks`). The engine applies it as an
    `AlertEvent` (`EpisodeEngine` lists the type); its labels are looked up by
    fingerprint (they travel once), the rest read as empty."""

    fingerprint: str
    status: Status
    starts_at: float
    ends_at: float | None
    event_time: float
    severity: Severity
    labels: ClassVar[dict[str, str]] = {}
    annotations: ClassVar[dict[str, str]] = {}
    generator_url: ClassVar[str] = ""
    origin: ClassVar[str] = ""
    envelope: ClassVar[None] = None


WireReject = PackedReject
"""A `Rejected` as it travels (whole: the engine keeps it) and as a chunk stores it."""


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
    items: list[ShadowEvent | WireReject]  # for the writer's engine
    chunks: list[bytes]
    """The items as the store holds them: a chunk (core.history.payload) per
    CHUNK_ITEMS of them from the first, made here so the writer process stores them as
    they are."""
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
    """Builds `Items` messages for one pipe: each alert event as a `ShadowEvent` array and
    each reject whole, for the writer's engine; the chunks the store keeps of them; and
    each fingerprint's labels once, in the first message that sends it."""

    def __init__(self) -> None:
        self._sent: set[str] = set()

    def message(self, handle: int, first: int, items: Sequence[tuple[float, Item]]) -> Items:
        sent, none = self._sent, _NONE
        labels: dict[str, Any] = {}
        times: list[float] = []
        shadows: list[Any] = []
        stored: list[Any] = []
        at, shadow, store = times.append, shadows.append, stored.append
        for time, item in items:
            at(time)
            if isinstance(item, AlertEvent):
                fingerprint = item.fingerprint
                if fingerprint not in sent:
                    sent.add(fingerprint)
                    labels[fingerprint] = item.labels
                status, starts, ends = item.status, item.starts_at, item.ends_at
                event_time, severity = item.event_time, item.severity
                shadow(("e", fingerprint, status, starts, ends, event_time, severity))
                store(  # payload.packed, inlined
                    (
                        "e",
                        fingerprint,
                        status,
                        none,
                        none,
                        starts,
                        ends,
                        event_time,
                        severity,
                        "",
                        "",
                        None,
                        (item.annotations, item.generator_url, item.origin, item.envelope),
                    )
                )
            else:
                whole = packed(item)
                shadow(whole)
                store(whole)
        chunks = [
            encode_chunk(times[start : start + CHUNK_ITEMS], stored[start : start + CHUNK_ITEMS])
            for start in range(0, len(stored), CHUNK_ITEMS)
        ]
        return Items(handle, first, times, shadows, chunks, labels)


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
