"""The decoder's careful path: generic JSON, every check spelled out for an operator.

Only records the typed fast path could not take come here (bad input, unusual
but valid input such as numeric times or a naive timestamp). Each problem
becomes a `Rejected` saying which field, which value and why; one bad alert in
a payload rejects only that alert.
"""

from __future__ import annotations

from typing import Any

import msgspec

from core.ingest.build import (
    alert_fields,
    envelope_where,
    make_event,
    normalize_fingerprint,
    raw_text,
)
from core.ingest.times import describe, in_range, parse_alert_time
from core.model import AlertEvent, Envelope, Rejected, Severity, epoch_seconds, parse_time

__all__ = ["Result", "decode_generic", "json_error"]

Result = tuple[list[AlertEvent], list[Rejected]]

_ENVELOPE_KEYS = ("ts", "topic", "partition", "offset", "key", "headers")
# An object with any of these is an alert, even if its labels are missing.
_ALERT_KEYS = ("labels", "startsAt", "endsAt", "annotations", "generatorURL", "fingerprint")
_API_STATES = ("active", "suppressed", "unprocessed")
_MAX_KEYS_SHOWN = 12


class _InvalidError(ValueError):
    """A validation problem; its message is the operator-facing reason."""


def json_error(data: bytes | str, error: Exception) -> str:
    """An operator-readable reason for undecodable input, with the byte position."""
    if isinstance(error, UnicodeError):
        try:
            if isinstance(data, str):
                data.encode("utf-8")
            else:
                bytes(data).decode("utf-8")
        except UnicodeDecodeError as bad:
            return f"not UTF-8 text: byte 0x{bad.object[bad.start]:02x} at byte {bad.start}"
        except UnicodeEncodeError as bad:
            return f"not valid Unicode text: a lone surrogate at character {bad.start}"
        return f"not UTF-8 text: {error}"
    text = str(error)
    if text.startswith("JSON is malformed: "):
        text = text[len("JSON is malformed: ") :]
    elif text == "Input data was truncated":
        text = "it ends too early (truncated or empty)"
    return f"not valid JSON: {text}"


def decode_generic(
    data: bytes | str, where: str, envelope_ts: float | None, envelope: Envelope | None
) -> Result:
    """Decode one record without types, validating every field."""
    try:
        obj = msgspec.json.decode(data)
    except (msgspec.DecodeError, UnicodeError) as error:
        return [], [Rejected(where, json_error(data, error), raw_text(data), envelope)]
    except RecursionError:
        reason = "not usable JSON: nested too deeply"
        return [], [Rejected(where, reason, raw_text(data), envelope)]
    events: list[AlertEvent] = []
    rejected: list[Rejected] = []
    _record(obj, data, where, envelope_ts, envelope, events, rejected)
    return events, rejected


def _record(
    obj: Any,
    data: bytes | str,
    where: str,
    envelope_ts: float | None,
    envelope: Envelope | None,
    events: list[AlertEvent],
    rejected: list[Rejected],
) -> None:
    if isinstance(obj, list):
        _alerts(obj, where, envelope_ts, envelope, events, rejected)
        return
    if not isinstance(obj, dict):
        reason = f"expected a JSON object or list, got {describe(obj)}"
        rejected.append(Rejected(where, reason, raw_text(data), envelope))
        return
    try:
        # Same order as the fast path: envelope, webhook, alert.
        if obj.get("value") is not None:
            _envelope(obj, data, where, envelope_ts, envelope, events, rejected)
        elif "alerts" in obj:
            alerts = _webhook_alerts(obj)
            _alerts(alerts, where, envelope_ts, envelope, events, rejected)
        elif any(key in obj for key in _ALERT_KEYS):
            _alerts([obj], where, envelope_ts, envelope, events, rejected)
        elif any(key in obj for key in _ENVELOPE_KEYS):
            _envelope(obj, data, where, envelope_ts, envelope, events, rejected)
        else:
            keys = sorted(obj)
            shown = ", ".join(repr(k) for k in keys[:_MAX_KEYS_SHOWN])
            if len(keys) > _MAX_KEYS_SHOWN:
                shown += f" and {len(keys) - _MAX_KEYS_SHOWN} more"
            raise _InvalidError(
                "unknown record shape: expected an Alertmanager webhook payload ('alerts'), "
                "an alert ('labels') or a recorded envelope ('value'); "
                f"keys seen: {shown or 'none'}"
            )
    except _InvalidError as problem:
        rejected.append(Rejected(where, str(problem), raw_text(data), envelope))


def _webhook_alerts(obj: dict[str, Any]) -> list[Any]:
    version = obj.get("version")
    if version is not None and str(version) != "4":
        raise _InvalidError(f"webhook payload version {version!r} is not supported (expected '4')")
    alerts = obj["alerts"]
    if not isinstance(alerts, list):
        raise _InvalidError(f"webhook 'alerts' is {describe(alerts)}, expected a list")
    return alerts


def _envelope(
    obj: dict[str, Any],
    data: bytes | str,
    where: str,
    envelope_ts: float | None,
    outer: Envelope | None,
    events: list[AlertEvent],
    rejected: list[Rejected],
) -> None:
    envelope = _envelope_meta(obj)
    here = envelope_where(where, envelope)
    ts = envelope.ts if envelope.ts is not None else envelope_ts
    value = obj.get("value")
    reason = None
    if value is None:
        reason = "envelope has no 'value' (the alert payload)"
    elif isinstance(value, str):
        try:
            value = msgspec.json.decode(value)
        except (msgspec.DecodeError, UnicodeError) as error:
            reason = "envelope value is text but " + json_error(value, error)
    if reason is None and isinstance(value, dict) and value.get("value") is not None:
        reason = "envelope value is itself an envelope; expected an alert payload"
    if reason is None and not isinstance(value, dict | list):
        reason = f"envelope value is {describe(value)}, expected an alert payload"
    if reason is not None:
        rejected.append(Rejected(here, reason, raw_text(data), envelope))
        return
    _record(value, data, here, ts, envelope, events, rejected)


def _envelope_meta(obj: dict[str, Any]) -> Envelope:
    ts = obj.get("ts")
    if ts is None:
        seconds = None
    elif isinstance(ts, bool) or not isinstance(ts, int | float | str):
        raise _InvalidError(f"envelope ts is {describe(ts)}, expected a time")
    else:
        try:
            seconds = parse_time(ts) if isinstance(ts, str) else epoch_seconds(float(ts))
        except ValueError:
            reason = f"envelope ts {ts!r} is not a time (epoch ms, s or RFC 3339)"
            raise _InvalidError(reason) from None
        if not in_range(seconds):
            raise _InvalidError(f"envelope ts {ts!r} is out of range for a time")
    topic = obj.get("topic")
    return Envelope(
        ts=seconds,
        topic=None if topic is None else _text(topic),
        partition=_whole_number(obj.get("partition"), "partition"),
        offset=_whole_number(obj.get("offset"), "offset"),
        key=None if obj.get("key") is None else _text(obj["key"]),
        headers=_headers(obj.get("headers")),
    )


def _whole_number(value: Any, field: str) -> int | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise _InvalidError(f"envelope {field} is {describe(value)}, expected a whole number")


def _headers(value: Any) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if isinstance(value, dict):
        return tuple((k, _text(v)) for k, v in value.items())
    if isinstance(value, list) and all(isinstance(p, list) and len(p) == 2 for p in value):
        return tuple((_text(k), _text(v)) for k, v in value)
    raise _InvalidError("envelope headers must be a list of [name, value] pairs or an object")


def _text(value: Any) -> str:
    """Metadata as text: strings as they are, null as empty, anything else as JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return msgspec.json.encode(value).decode()


def _alerts(
    alerts: list[Any],
    where: str,
    envelope_ts: float | None,
    envelope: Envelope | None,
    events: list[AlertEvent],
    rejected: list[Rejected],
) -> None:
    several = len(alerts) > 1
    for k, alert in enumerate(alerts, 1):
        here = f"{where}, alert {k}" if several else where
        result: AlertEvent | str
        try:
            result = _alert(alert, envelope_ts, here, envelope)
        except _InvalidError as problem:
            result = str(problem)
        if isinstance(result, AlertEvent):
            events.append(result)
        else:
            reason = f"alert {k}: {result}" if several else result
            raw = raw_text(msgspec.json.encode(alert))
            rejected.append(Rejected(here, reason, raw, envelope))


def _alert(
    alert: Any, envelope_ts: float | None, origin: str, envelope: Envelope | None
) -> AlertEvent | str:
    if not isinstance(alert, dict):
        return f"expected an alert object, got {describe(alert)}"
    labels = alert.get("labels")
    if labels is None:
        return "labels are missing; an alert needs labels"
    if not isinstance(labels, dict):
        return f"labels is {describe(labels)}, expected an object of text values"
    for name, value in labels.items():
        if not isinstance(value, str):
            return f"label {name!r} is {describe(value)}, expected text"
    annotations = alert.get("annotations")
    if annotations is None:
        annotations = {}
    elif not isinstance(annotations, dict):
        return f"annotations is {describe(annotations)}, expected an object"
    else:
        annotations = {k: _text(v) for k, v in annotations.items()}
    try:
        starts = parse_alert_time(alert.get("startsAt"), "startsAt")
        ends = parse_alert_time(alert.get("endsAt"), "endsAt")
        updated = parse_alert_time(alert.get("updatedAt"), "updatedAt")
    except ValueError as problem:
        return str(problem)
    fingerprint = alert.get("fingerprint")
    url = alert.get("generatorURL")
    fields = alert_fields(
        labels,
        annotations,
        starts,
        ends,
        updated,
        "" if url is None else _text(url),
        normalize_fingerprint(fingerprint if isinstance(fingerprint, str) else "", labels),
        Severity.parse(labels.get("severity")),
        _status(alert.get("status")),
    )
    if isinstance(fields, str):
        return fields
    return make_event(fields, envelope_ts, origin, envelope)


def _status(value: Any) -> str | None:
    """The status text, or None when the payload leaves it to endsAt."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict):
        state = value.get("state")
        if state is None:
            raise _InvalidError("status object has no 'state'")
        if state not in _API_STATES:
            raise _InvalidError(f"status state {state!r} is not one of {', '.join(_API_STATES)}")
        return None
    raise _InvalidError(
        f"status is {describe(value)}, expected 'firing', 'resolved' or an object with 'state'"
    )
