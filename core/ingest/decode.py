"""Decode alert records (DESIGN.md 3.2) into `AlertEvent`s and `Rejected`s.

Three shapes are detected per record: an Alertmanager webhook payload, API v2
alert objects (one or a list), and a recorded Kafka envelope around either.
The common case takes one typed msgspec decode (about 3x stdlib json) plus
cache lookups for what repeats between re-sends of an alert (label set,
annotations, times). Any record that does not fit the strict types is decoded
again generically by `core.ingest.generic`, which says precisely what is wrong
and keeps the good alerts of a payload. Decoding never raises for bad input.
"""

from __future__ import annotations

from typing import Any, Final

import msgspec

from core.ingest.build import (
    AlertFields,
    alert_fields,
    envelope_where,
    make_event,
    normalize_fingerprint,
)
from core.ingest.generic import Result, decode_generic
from core.ingest.schema import AlertBody, RecordBody, StatusObject, TopLevel
from core.ingest.times import in_range, parse_alert_time
from core.model import AlertEvent, Envelope, Severity, epoch_seconds, parse_time

__all__ = ["Decoder"]

_API_STATES: Final = frozenset(("active", "suppressed", "unprocessed"))
_CACHE_MAX: Final = 16_384
_MISS: Final = object()
# ", alert K" for the origin of the K-th alert of a payload, built once.
_SUFFIXES: Final = 256
_ALERT_SUFFIX: Final = tuple(f", alert {k}" for k in range(_SUFFIXES))


class _FallbackError(Exception):
    """The record needs the generic path (bad, or valid but unusual)."""


class _LabelSet:
    """What the decoder derives once per distinct label set (raw JSON bytes)."""

    __slots__ = ("fingerprint", "labels", "severity")

    def __init__(self, labels: dict[str, str]) -> None:
        self.labels = labels
        self.severity = Severity.parse(labels.get("severity"))
        self.fingerprint = ""  # computed on first need: most payloads carry one


def _remember(cache: dict[Any, Any], key: object, value: object) -> None:
    """Insert into a bounded cache; when full, start it afresh.

    Clearing is O(1) amortized. Evicting the oldest entry one at a time looks
    cheaper but is not: CPython finds a dict's first live entry by scanning
    past every deleted one, which turns a FIFO into quadratic work.
    """
    if len(cache) >= _CACHE_MAX:
        cache.clear()
    cache[key] = value


class Decoder:
    """Decodes one record at a time; create one per source and reuse it.

    Events decoded from the same label set share one `labels` dict (and one
    `annotations` dict for identical annotations): treat them as read-only.
    """

    def __init__(self) -> None:
        self._typed = msgspec.json.Decoder(TopLevel)
        self._alert_body = msgspec.json.Decoder(AlertBody)
        self._text_map = msgspec.json.Decoder(dict[str, str])
        self._alert_fields: dict[bytes, AlertFields] = {}
        self._label_sets: dict[bytes, _LabelSet] = {}
        self._annotations: dict[bytes, dict[str, str]] = {}
        self._times: dict[str, float | None] = {}

    def decode(
        self,
        data: bytes | str,
        where: str,
        *,
        envelope_ts: float | None = None,
        envelope: Envelope | None = None,
    ) -> Result:
        """Decode one record into its alert events and rejections.

        `where` names the record for an operator ("line 12"). `envelope_ts` is
        the timestamp of the carrier (a Kafka record: seconds, or milliseconds
        when that large) and is the event time unless the record is itself an
        envelope with its own `ts`. `envelope` is attached to the events when
        the caller knows the Kafka position of a bare payload.
        """
        if envelope_ts is not None:
            envelope_ts = epoch_seconds(envelope_ts)
        elif envelope is not None:
            envelope_ts = envelope.ts
        if envelope is not None:
            where = envelope_where(where, envelope)
        try:
            top = self._typed.decode(data)
            events: list[AlertEvent] = []
            self._record(top, where, envelope_ts, envelope, events)
        except (msgspec.DecodeError, UnicodeError, RecursionError, _FallbackError):
            return decode_generic(data, where, envelope_ts, envelope)
        return events, []

    def _record(
        self,
        top: list[msgspec.Raw] | RecordBody,
        where: str,
        envelope_ts: float | None,
        envelope: Envelope | None,
        events: list[AlertEvent],
    ) -> None:
        # The same order as the generic path: envelope, webhook, alert.
        if isinstance(top, list):
            self._alerts(top, where, envelope_ts, envelope, events)
        elif top.value is not None:
            self._envelope(top, where, envelope_ts, events)
        elif top.alerts is not None:
            if top.version is not None and top.version != "4":
                raise _FallbackError
            self._alerts(top.alerts, where, envelope_ts, envelope, events)
        elif top.labels:
            event = make_event(self._fields(top), envelope_ts, where, envelope)
            if event.__class__ is str:
                raise _FallbackError
            events.append(event)  # type: ignore[arg-type]
        else:
            raise _FallbackError  # unknown shape, or an envelope without value

    def _envelope(
        self, top: RecordBody, where: str, envelope_ts: float | None, events: list[AlertEvent]
    ) -> None:
        ts = top.ts
        if ts is None:
            seconds = None
        elif isinstance(ts, str):
            try:
                seconds = parse_time(ts)
            except ValueError:
                raise _FallbackError from None
        else:
            seconds = epoch_seconds(ts)
        if seconds is not None and not in_range(seconds):
            raise _FallbackError
        headers = top.headers
        if headers is None:
            pairs: tuple[tuple[str, str], ...] = ()
        elif isinstance(headers, dict):
            pairs = tuple(headers.items())
        else:
            pairs = tuple(headers)
        envelope = Envelope(seconds, top.topic, top.partition, top.offset, top.key, pairs)
        value = top.value
        if isinstance(value, str):
            value = self._typed.decode(value)
        if value is None or (isinstance(value, RecordBody) and value.value is not None):
            raise _FallbackError  # an envelope inside an envelope
        here = envelope_where(where, envelope)
        self._record(value, here, envelope_ts if seconds is None else seconds, envelope, events)

    def _alerts(
        self,
        alerts: list[msgspec.Raw],
        where: str,
        envelope_ts: float | None,
        envelope: Envelope | None,
        events: list[AlertEvent],
    ) -> None:
        cache = self._alert_fields
        several = len(alerts) > 1
        for k, raw in enumerate(alerts, 1):
            key = bytes(raw)
            fields = cache.get(key)
            if fields is None:
                fields = self._fields(self._alert_body.decode(key))
                _remember(cache, key, fields)
            if several:
                origin = where + (_ALERT_SUFFIX[k] if k < _SUFFIXES else f", alert {k}")
            else:
                origin = where
            event = make_event(fields, envelope_ts, origin, envelope)
            if event.__class__ is str:
                raise _FallbackError  # the generic path reports it and keeps the others
            events.append(event)  # type: ignore[arg-type]

    def _fields(self, alert: AlertBody | RecordBody) -> AlertFields:
        """Validate one alert's content using the per-label-set and per-time caches."""
        key = bytes(alert.labels)
        label_set = self._label_sets.get(key)
        if label_set is None:
            label_set = _LabelSet(self._decode_text_map(key))
            _remember(self._label_sets, key, label_set)
        if alert.annotations:
            key = bytes(alert.annotations)
            annotations = self._annotations.get(key)
            if annotations is None:
                annotations = self._decode_text_map(key)
                _remember(self._annotations, key, annotations)
        else:
            annotations = {}
        status = alert.status
        if isinstance(status, StatusObject):
            if status.state not in _API_STATES:
                raise _FallbackError
            status = None
        fingerprint = alert.fingerprint
        if len(fingerprint) != 16 or fingerprint.strip("0123456789abcdef"):
            if fingerprint:
                fingerprint = normalize_fingerprint(fingerprint, label_set.labels)
            else:
                if not label_set.fingerprint:
                    label_set.fingerprint = normalize_fingerprint("", label_set.labels)
                fingerprint = label_set.fingerprint
        fields = alert_fields(
            label_set.labels,
            annotations,
            self._time(alert.starts_at),
            self._time(alert.ends_at),
            self._time(alert.updated_at),
            alert.generator_url,
            fingerprint,
            label_set.severity,
            status,
        )
        if isinstance(fields, str):
            raise _FallbackError
        return fields

    def _decode_text_map(self, raw: bytes) -> dict[str, str]:
        try:
            return self._text_map.decode(raw)
        except msgspec.DecodeError:
            raise _FallbackError from None

    def _time(self, text: str | None) -> float | None:
        """Epoch seconds of an alert time (None: absent or unset), parsed once per text."""
        if text is None:
            return None
        seconds = self._times.get(text, _MISS)
        if seconds is _MISS:
            try:
                seconds = parse_alert_time(text, "time")
            except ValueError:
                raise _FallbackError from None
            _remember(self._times, text, seconds)
        return seconds  # type: ignore[return-value]
