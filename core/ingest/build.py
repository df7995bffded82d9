"""Turn validated alert fields into an `AlertEvent`: event time, status, identity.

Shared by the typed fast path and the generic path of the decoder so that both
apply the DESIGN.md 3.2 rules identically.
"""

from __future__ import annotations

from core.ingest.fingerprint import alertmanager_fingerprint
from core.model import AlertEvent, Envelope, Severity, Status

__all__ = [
    "RAW_LIMIT",
    "AlertFields",
    "alert_fields",
    "envelope_where",
    "make_event",
    "normalize_fingerprint",
    "raw_text",
]

RAW_LIMIT = 2000
"""A rejected record keeps at most this many characters of its text."""

_HEX = "0123456789abcdef"
# Enum member access through the class costs ~100 ns in 3.11; this is per event.
_FIRING = Status.FIRING
_RESOLVED = Status.RESOLVED
_MISSING_START = (
    "startsAt is missing and the record has no timestamp (envelope ts or updatedAt) to use instead"
)


def normalize_fingerprint(value: str, labels: dict[str, str]) -> str:
    """The payload's fingerprint when it is 16 hex digits, else Alertmanager's computed one.

    A well-formed payload fingerprint is kept even if it does not match the
    labels: it is the identity Alertmanager uses (and shows) for this alert,
    and its resolve will carry the same value.
    """
    if len(value) == 16:
        if not value.strip(_HEX):
            return value
        lowered = value.lower()
        if not lowered.strip(_HEX):
            return lowered
    return alertmanager_fingerprint(labels)


class AlertFields:
    """One alert's content, validated and normalized, without where it came from.

    Immutable by convention: the fast path caches one per distinct alert
    payload, because Alertmanager re-sends every firing alert of a group
    unchanged with each notification.
    """

    __slots__ = (
        "annotations",
        "ends_at",
        "fingerprint",
        "generator_url",
        "labels",
        "resolved",
        "severity",
        "starts_at",
        "updated_at",
    )

    def __init__(
        self,
        labels: dict[str, str],
        annotations: dict[str, str],
        starts_at: float | None,
        ends_at: float | None,
        updated_at: float | None,
        generator_url: str,
        fingerprint: str,
        severity: Severity,
        resolved: bool,
    ) -> None:
        self.labels = labels
        self.annotations = annotations
        self.starts_at = starts_at
        self.ends_at = ends_at
        self.updated_at = updated_at
        self.generator_url = generator_url
        self.fingerprint = fingerprint
        self.severity = severity
        self.resolved = resolved


def alert_fields(
    labels: dict[str, str],
    annotations: dict[str, str],
    starts_at: float | None,
    ends_at: float | None,
    updated_at: float | None,
    generator_url: str,
    fingerprint: str,
    severity: Severity,
    status: str | None,
) -> AlertFields | str:
    """Validate one alert's content, or return the reason (operator English) it is bad.

    `fingerprint` is final (see `normalize_fingerprint`) and `severity` parsed
    from the labels by the caller (the fast path caches both per label set).
    Times are epoch seconds, None when unset. `status` is the payload's text
    ("firing"/"resolved", any case), or None when the payload has none (API v2
    posts, or the status object of GET /api/v2/alerts).
    """
    if not labels:
        return "labels are empty; an alert needs at least one label"
    if status is not None and status != "firing" and status != "resolved":
        folded = status.strip().lower()
        if folded != "firing" and folded != "resolved":
            return f"status {status!r} is not 'firing' or 'resolved'"
        status = folded
    return AlertFields(
        labels,
        annotations,
        starts_at,
        ends_at,
        updated_at,
        generator_url,
        fingerprint,
        severity,
        status == "resolved",
    )


def make_event(
    fields: AlertFields, envelope_ts: float | None, origin: str, envelope: Envelope | None
) -> AlertEvent | str:
    """The event for one observation of an alert, or why it has no event time.

    Event time: the record's timestamp, else updatedAt, else the end of a
    resolved alert, else its start (DESIGN.md 2: event time, never the wall
    clock). Resolved when the payload says so or endsAt is not after it.
    """
    starts_at = fields.starts_at
    ends_at = fields.ends_at
    if envelope_ts is not None:
        event_time = envelope_ts
    elif fields.updated_at is not None:
        event_time = fields.updated_at
    elif fields.resolved and ends_at is not None:
        event_time = ends_at
    elif starts_at is not None:
        event_time = starts_at
    else:
        return _MISSING_START
    if starts_at is None:
        if envelope_ts is None and fields.updated_at is None:
            return _MISSING_START
        starts_at = event_time
    if fields.resolved or (ends_at is not None and ends_at <= event_time):
        state = _RESOLVED
    else:
        state = _FIRING
    return AlertEvent(
        fields.fingerprint,
        state,
        fields.labels,
        fields.annotations,
        starts_at,
        ends_at,
        event_time,
        fields.severity,
        fields.generator_url,
        origin,
        envelope,
    )


def envelope_where(where: str, envelope: Envelope) -> str:
    """`where` extended with the Kafka position: "line 12 (alerts/0@1207)"."""
    position = envelope.topic or ""
    if envelope.partition is not None:
        position += f"/{envelope.partition}"
    if envelope.offset is not None:
        position += f"@{envelope.offset}"
    return f"{where} ({position})" if position else where


def raw_text(data: bytes | str) -> str:
    """The record as text for a `Rejected`, truncated to RAW_LIMIT characters."""
    if isinstance(data, bytes | bytearray | memoryview):
        data = bytes(data[: RAW_LIMIT * 4]).decode("utf-8", errors="replace")
    text = data[:RAW_LIMIT]
    # A lone surrogate cannot be written to UTF-8 (exports); replace it.
    return text.encode("utf-8", errors="replace").decode("utf-8")
