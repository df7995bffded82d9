"""How observations are stored: `chunks.payload`, msgpack arrays of up to CHUNK_ITEMS items.

One row holds a run of consecutive items of one source (what one transaction
wrote), so SQLite does per-chunk work, not per-item work: that is what keeps
the writer ahead of the engine. Each item is an array (no field names
repeated a million times):
- an alert event: [time, fingerprint, status, severity, startsAt, endsAt,
  [annotations, generatorURL, origin, envelope]] (labels are stored once per
  fingerprint, in `labels`). The last four travel as one array so the writer
  process stores them as the bytes the console sent (`PackedEvent`), without
  decoding them; chunks written before that hold them inline (ten items),
  and read the same;
- a rejected record: [time, null, where, reason, raw, envelope].
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from core.model import AlertEvent, Envelope, Rejected, Severity, Status
from core.timeline import Item

CHUNK_ITEMS = 256

_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(list[list[Any]]).decode
_SEVERITIES = {int(s): s for s in Severity}


class PackedEvent(AlertEvent, frozen=True, array_like=True, tag="e"):
    """An alert event whose stored part arrived packed: `stored` is the msgpack of
    [annotations, generatorURL, origin, envelope], which the writer puts into a
    chunk as it is. Its own annotations, generator_url, origin and envelope are
    left empty (the writer's engine does not read them); its labels may be empty
    too when an earlier message gave them.

    How it travels to the writer process: a msgpack array ("e" and its fields:
    no field names per event), decoded straight into one (core.history.wire).
    """

    stored: msgspec.Raw = msgspec.Raw()


def stored_part(item: AlertEvent) -> Any:
    """What an alert event's chunk entry ends with: `PackedEvent.stored`, or the four
    values it packs."""
    if type(item) is PackedEvent:
        return item.stored
    return (item.annotations, item.generator_url, item.origin, item.envelope)


def entry(time: float, item: Item) -> tuple[Any, ...]:
    """One item as stored in a chunk.

    The writer builds an alert event's tuple inline (`HistoryWriter._take_items`,
    its hot loop); tests/core/history hold its chunks to this function byte for byte.
    """
    if isinstance(item, AlertEvent):
        return (
            time,
            item.fingerprint,
            1 if item.status is Status.FIRING else 0,
            int(item.severity),
            item.starts_at,
            item.ends_at,
            stored_part(item),
        )
    return (time, None, item.where, item.reason, item.raw, item.envelope)


def encode_chunk(entries: Sequence[tuple[Any, ...]]) -> bytes:
    return _encode(entries)


def decode_chunk(payload: bytes, labels: dict[str, dict[str, str]]) -> list[tuple[float, Item]]:
    """The chunk's items with their times, in stored order."""
    items: list[tuple[float, Item]] = []
    for row in _decode(payload):
        time, fingerprint = row[0], row[1]
        if fingerprint is None:
            envelope = None if row[5] is None else msgspec.convert(row[5], Envelope)
            item: Item = Rejected(where=row[2], reason=row[3], raw=row[4], envelope=envelope)
        else:
            # [.., annotations, url, origin, envelope] packed in one array, or inline (older)
            annotations, url, origin, packed = row[6] if len(row) == 7 else row[6:10]
            envelope = None if packed is None else msgspec.convert(packed, Envelope)
            item = AlertEvent(
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
                envelope=envelope,
            )
        items.append((time, item))
    return items


def fingerprints(payload: bytes) -> set[str]:
    """Fingerprints of the alert events in a chunk (retention checks)."""
    return {row[1] for row in _decode(payload) if row[1] is not None}
