"""How observations are stored: `chunks.payload`, msgpack of up to CHUNK_ITEMS items.

One row holds a run of consecutive items of one source (what one transaction
wrote), so SQLite does per-chunk work, not per-item work: that is what keeps
the writer ahead of the engine. A chunk is [2, times, items]: the items'
timeline times, then each item as an array (no field names repeated a million
times):
- an alert event: ["e", fingerprint, status, {}, {}, startsAt, endsAt,
  eventTime, severity, "", "", null, [annotations, generatorURL, origin,
  envelope]] (`AlertEvent`'s fields in order, with its labels stored once per
  fingerprint, in `labels`, and the four the store alone reads in one array);
- a rejected record: ["r", where, reason, raw, envelope] (a `PackedReject`).

The console makes these chunks when it sends to the writer process
(core.history.wire), which stores them as they came, with no Python per item
(most of the writer's work before). Chunks written before hold one array per
item instead, [time, fingerprint, status, severity, startsAt, endsAt, ...],
with the last four inline or as one array; they read the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from core.model import AlertEvent, Envelope, Rejected, Severity, Status
from core.timeline import Item

CHUNK_ITEMS = 256
CHUNK_FORMAT = 2
"""The first value of a chunk of the current layout (older chunks start with an array)."""

_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(list[Any]).decode
_SEVERITIES = {int(s): s for s in Severity}
_STATUSES = {s.value: s for s in Status}
_NONE: dict[str, str] = {}


class PackedReject(Rejected, frozen=True, array_like=True, tag="r"):
    """A `Rejected` as the array a chunk holds ("r" and its fields), decoded straight
    into one (the writer process's engine keeps it whole)."""


def packed(item: Item) -> Any:
    """An item as the array a chunk holds (see the module doc), as a tuple."""
    if isinstance(item, AlertEvent):
        return (
            "e",
            item.fingerprint,
            item.status,
            _NONE,
            _NONE,
            item.starts_at,
            item.ends_at,
            item.event_time,
            item.severity,
            "",
            "",
            None,
            (item.annotations, item.generator_url, item.origin, item.envelope),
        )
    return ("r", item.where, item.reason, item.raw, item.envelope)


def encode_chunk(times: Sequence[float], items: Sequence[Any]) -> bytes:
    """A chunk of `items` as `packed` gives them."""
    return _encode((CHUNK_FORMAT, times, items))


def chunk_of(part: Sequence[tuple[float, Item]]) -> bytes:
    """The chunk of (time, item) pairs (what the writer stores for them)."""
    return encode_chunk([time for time, _ in part], [packed(item) for _, item in part])


def decode_chunk(payload: bytes, labels: dict[str, dict[str, str]]) -> list[tuple[float, Item]]:
    """The chunk's items with their times, in stored order."""
    data = _decode(payload)
    if data and data[0] == CHUNK_FORMAT:
        return [(time, _item(row, labels)) for time, row in zip(data[1], data[2], strict=True)]
    return [(row[0], _older_item(row, labels)) for row in data]


def _item(row: list[Any], labels: dict[str, dict[str, str]]) -> Item:
    if row[0] == "r":
        return Rejected(where=row[1], reason=row[2], raw=row[3], envelope=_envelope(row[4]))
    fingerprint = row[1]
    annotations, url, origin, envelope = row[12]
    return AlertEvent(
        fingerprint=fingerprint,
        status=_STATUSES[row[2]],
        labels=labels.get(fingerprint, {}),
        annotations=annotations,
        starts_at=row[5],
        ends_at=row[6],
        event_time=row[7],
        severity=_SEVERITIES[row[8]],
        generator_url=url,
        origin=origin,
        envelope=_envelope(envelope),
    )


def _older_item(row: list[Any], labels: dict[str, dict[str, str]]) -> Item:
    time, fingerprint = row[0], row[1]
    if fingerprint is None:
        return Rejected(where=row[2], reason=row[3], raw=row[4], envelope=_envelope(row[5]))
    # [.., annotations, url, origin, envelope] as one array, or inline (the oldest)
    annotations, url, origin, envelope = row[6] if len(row) == 7 else row[6:10]
    return AlertEvent(
        fingerprint=fingerprint,
        status=Status.FIRING if row[2] else Status.RESOLVED,
        labels=labels.get(fingerprint, {}),
        annotations=annotations,
        starts_at=row[4],
        ends_at=row[5],
        event_time=time,
        severity=_SEVERITIES[row[3]],
        generator_url=url,
        origin=origin,
        envelope=_envelope(envelope),
    )


def _envelope(value: Any) -> Envelope | None:
    return None if value is None else msgspec.convert(value, Envelope)


def fingerprints(payload: bytes) -> set[str]:
    """Fingerprints of the alert events in a chunk (retention checks)."""
    data = _decode(payload)
    if data and data[0] == CHUNK_FORMAT:
        return {row[1] for row in data[2] if row[0] == "e"}
    return {row[1] for row in data if row[1] is not None}
