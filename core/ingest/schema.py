"""msgspec types for the decode fast path (DESIGN.md 3.2).

One typed decode turns a record into these structs at C speed. The types are
strict (label values must be text, times must be text): any
record they do not fit goes to the generic path in `core.ingest.generic`,
which finds out precisely what is wrong, so these types never need to be lenient.

`RecordBody` is the union of the three object shapes (webhook, alert, envelope)
in one struct, because msgspec cannot tell untagged structs apart; the decoder
classifies it by which fields are present.

The alerts of a payload, and labels and annotations, stay raw JSON here: the
decoder caches what it derives from them by those bytes, because a stream
repeats the same alerts (Alertmanager re-sends every firing alert of a group,
unchanged, with each notification). Times stay text for the same reason: a
repeat carries the same `startsAt`, so its parse is cached too.
"""

from __future__ import annotations

import msgspec

__all__ = ["AlertBody", "RecordBody", "StatusObject", "TopLevel"]


class StatusObject(msgspec.Struct):
    """`status` as GET /api/v2/alerts returns it: {"state": "active", "silencedBy": ...}."""

    state: str


class AlertBody(msgspec.Struct):
    """One alert as in a webhook payload or in the Alertmanager API v2."""

    labels: msgspec.Raw
    annotations: msgspec.Raw = msgspec.Raw()  # empty: absent
    starts_at: str | None = msgspec.field(default=None, name="startsAt")
    ends_at: str | None = msgspec.field(default=None, name="endsAt")
    updated_at: str | None = msgspec.field(default=None, name="updatedAt")
    generator_url: str = msgspec.field(default="", name="generatorURL")
    fingerprint: str = ""
    status: str | StatusObject | None = None


class RecordBody(msgspec.Struct):
    """Any of the object shapes: webhook (`alerts`), alert (`labels`), envelope (`value`)."""

    # shape 1: webhook payload
    version: str | None = None
    alerts: list[msgspec.Raw] | None = None
    # shape 2: a single alert object
    labels: msgspec.Raw = msgspec.Raw()  # empty: absent
    annotations: msgspec.Raw = msgspec.Raw()  # empty: absent
    starts_at: str | None = msgspec.field(default=None, name="startsAt")
    ends_at: str | None = msgspec.field(default=None, name="endsAt")
    updated_at: str | None = msgspec.field(default=None, name="updatedAt")
    generator_url: str = msgspec.field(default="", name="generatorURL")
    fingerprint: str = ""
    status: str | StatusObject | None = None
    # shape 3: recorded envelope
    ts: float | str | None = None
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    key: str | None = None
    headers: list[tuple[str, str]] | dict[str, str] | None = None
    value: str | list[msgspec.Raw] | RecordBody | None = None


TopLevel = list[msgspec.Raw] | RecordBody
"""What a record decodes to on the fast path: a list of alerts or one object."""
