"""Decoder: the three record shapes, the event-time and status rules, every rejection."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core.ingest.decode import Decoder
from core.ingest.fingerprint import alertmanager_fingerprint
from core.model import AlertEvent, Envelope, Rejected, Severity, Status, parse_time

DATA = Path(__file__).parents[2] / "data" / "alertmanager"

T0 = "2026-11-26T03:16:25Z"
T0_S = parse_time(T0)


def fixture_bytes(n: int) -> bytes:
    return (DATA / f"webhook_{n:03d}.json").read_bytes()


def alert(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "labels": {"alertname": "ServiceDown", "service": "cart", "severity": "critical"},
        "annotations": {"summary": "cart is down"},
        "startsAt": T0,
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not ...}


def webhook(*alerts: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"receiver": "noc", "status": "firing", "alerts": list(alerts), "version": "4", **fields}


def enc(obj: Any) -> bytes:
    return json.dumps(obj).encode()


def decode(obj: Any, where: str = "line 1", **kw: Any) -> tuple[list[AlertEvent], list[Rejected]]:
    data = obj if isinstance(obj, bytes | str) else enc(obj)
    return Decoder().decode(data, where, **kw)


def one_event(obj: Any, **kw: Any) -> AlertEvent:
    events, rejected = decode(obj, **kw)
    assert rejected == []
    assert len(events) == 1
    return events[0]


def one_rejection(obj: Any, where: str = "line 1", **kw: Any) -> Rejected:
    events, rejected = decode(obj, where, **kw)
    assert events == []
    assert len(rejected) == 1
    return rejected[0]


# --- shape 1: real Alertmanager webhook payloads ------------------------------------------


def test_real_webhook_single_alert() -> None:
    events, rejected = Decoder().decode(fixture_bytes(1), "line 1")
    assert rejected == []
    [event] = events
    assert event.fingerprint == "7d45cb93cf92c364"
    assert event.status is Status.FIRING
    assert event.severity is Severity.CRITICAL
    assert event.labels["service"] == "cartservice"
    assert event.annotations["summary"] == "cartservice is down"
    assert event.starts_at == pytest.approx(parse_time("2026-11-26T03:16:25.475506Z"), abs=1e-6)
    assert event.ends_at is None  # Go's zero time means unset
    assert event.event_time == event.starts_at
    assert event.generator_url == "http://prometheus.local/graph?g0.expr=up%3D%3D0"
    assert event.origin == "line 1"
    assert event.envelope is None


def test_real_webhook_grouped_alerts_keep_order_and_origin() -> None:
    events, rejected = Decoder().decode(fixture_bytes(3), "line 7")
    assert rejected == []
    assert [e.fingerprint for e in events] == ["33bece5e4901e486", "17305f95f01787c1"]
    assert [e.origin for e in events] == ["line 7, alert 1", "line 7, alert 2"]
    assert events[0].annotations["summary"] == "checkoutservice 5xx > 5%"  # \u003e unescaped


def test_real_webhook_empty_generator_url_and_warning() -> None:
    event = one_event(fixture_bytes(2))
    assert event.generator_url == ""
    assert event.severity is Severity.WARNING


def test_resolved_alert_in_real_payload() -> None:
    payload = json.loads(fixture_bytes(3))
    payload["status"] = "resolved"
    second = payload["alerts"][1]
    second["status"] = "resolved"
    second["endsAt"] = "2026-11-26T03:21:25.509914596Z"
    events, rejected = decode(payload)
    assert rejected == []
    assert [e.status for e in events] == [Status.FIRING, Status.RESOLVED]
    resolved = events[1]
    assert resolved.fingerprint == "17305f95f01787c1"
    assert resolved.ends_at == pytest.approx(parse_time("2026-11-26T03:21:25.509914Z"), abs=1e-6)
    assert resolved.event_time == resolved.ends_at  # a resolve happens at its end


def test_webhook_text_input_is_accepted() -> None:
    event = one_event(fixture_bytes(1).decode())
    assert event.fingerprint == "7d45cb93cf92c364"


def test_webhook_unsupported_version_is_rejected() -> None:
    rejected = one_rejection(webhook(alert(), version="3"))
    assert "version '3'" in rejected.reason


def test_webhook_alerts_not_a_list() -> None:
    rejected = one_rejection({"version": "4", "alerts": {"labels": {}}})
    assert rejected.reason == "webhook 'alerts' is an object, expected a list"


# --- shape 2: API v2 alert objects ---------------------------------------------------------


def test_single_api_alert_without_fingerprint_gets_alertmanagers() -> None:
    labels = {"alertname": "DiskFull", "instance": "db-1:9100", "severity": "major"}
    event = one_event(alert(labels=labels, endsAt=..., annotations=...))
    assert event.fingerprint == alertmanager_fingerprint(labels)
    assert event.severity is Severity.MAJOR
    assert event.annotations == {}
    assert event.status is Status.FIRING
    assert event.event_time == T0_S


def test_list_of_api_alerts() -> None:
    events, rejected = decode([alert(), alert(labels={"alertname": "Other"})])
    assert rejected == []
    assert [e.origin for e in events] == ["line 1, alert 1", "line 1, alert 2"]
    assert events[1].labels == {"alertname": "Other"}


@pytest.mark.parametrize("state", ["active", "suppressed", "unprocessed"])
def test_status_object_form_of_get_alerts(state: str) -> None:
    obj = alert(
        status={"state": state, "silencedBy": [], "inhibitedBy": []},
        endsAt="2026-11-26T03:21:25Z",
        updatedAt="2026-11-26T03:17:25Z",
        fingerprint="0123456789abcdef",
        receivers=[{"name": "noc"}],
    )
    event = one_event(obj)
    assert event.status is Status.FIRING  # endsAt is after the event time: still firing
    assert event.event_time == parse_time("2026-11-26T03:17:25Z")  # updatedAt
    assert event.ends_at == parse_time("2026-11-26T03:21:25Z")
    assert event.fingerprint == "0123456789abcdef"


def test_status_object_with_unknown_state_is_rejected() -> None:
    rejected = one_rejection(alert(status={"state": "gone"}))
    assert rejected.reason == "status state 'gone' is not one of active, suppressed, unprocessed"


def test_status_object_without_state_is_rejected() -> None:
    assert one_rejection(alert(status={"x": 1})).reason == "status object has no 'state'"


def test_ends_at_not_after_event_time_means_resolved() -> None:
    event = one_event(alert(endsAt="2026-11-26T03:16:00Z", updatedAt="2026-11-26T03:20:00Z"))
    assert event.status is Status.RESOLVED


def test_ends_at_equal_to_event_time_means_resolved() -> None:
    event = one_event(alert(endsAt=T0, updatedAt=T0))
    assert event.status is Status.RESOLVED


def test_firing_with_future_ends_at_stays_firing() -> None:
    event = one_event(alert(status="firing", endsAt="2026-11-26T04:00:00Z"))
    assert event.status is Status.FIRING
    assert event.ends_at == parse_time("2026-11-26T04:00:00Z")


def test_status_resolved_without_ends_at() -> None:
    event = one_event(alert(status="resolved"))
    assert event.status is Status.RESOLVED
    assert event.event_time == T0_S


def test_uppercase_payload_fingerprint_is_lowercased() -> None:
    assert one_event(alert(fingerprint="ABCDEF0123456789")).fingerprint == "abcdef0123456789"


@pytest.mark.parametrize("bad", ["", "xyz", "0123", "0123456789abcdeg", "0123456789abcdef0"])
def test_malformed_payload_fingerprint_is_replaced_by_computed(bad: str) -> None:
    obj = alert(fingerprint=bad)
    assert one_event(obj).fingerprint == alertmanager_fingerprint(obj["labels"])


def test_payload_fingerprint_kept_even_if_labels_disagree() -> None:
    assert one_event(alert(fingerprint="00000000000000ff")).fingerprint == "00000000000000ff"


def test_unknown_severity_is_warning() -> None:
    assert one_event(alert(labels={"a": "b", "severity": "weird"})).severity is Severity.WARNING


# --- times ------------------------------------------------------------------------------


def test_nanosecond_fraction() -> None:
    event = one_event(alert(startsAt="2026-11-26T03:16:25.475506222Z"))
    assert event.starts_at == pytest.approx(T0_S + 0.475506, abs=2e-6)


@pytest.mark.parametrize(
    ("text", "offset_s"),
    [("2026-11-26T05:16:25+02:00", 0), ("2026-11-25T22:16:25.5-05:00", 0.5)],
)
def test_timezone_offsets_are_honoured(text: str, offset_s: float) -> None:
    assert one_event(alert(startsAt=text)).starts_at == pytest.approx(T0_S + offset_s)


def test_lowercase_t_and_z() -> None:
    assert one_event(alert(startsAt="2026-11-26t03:16:25z")).starts_at == T0_S


@pytest.mark.parametrize("unset", ["0001-01-01T00:00:00Z", "", None, "1969-12-31T23:59:59Z", ...])
def test_unset_ends_at(unset: Any) -> None:
    event = one_event(alert(endsAt=unset))
    assert event.ends_at is None
    assert event.status is Status.FIRING


def test_zero_starts_at_with_updated_at_falls_back() -> None:
    event = one_event(alert(startsAt="0001-01-01T00:00:00Z", updatedAt=T0))
    assert event.starts_at == T0_S


@pytest.mark.parametrize("field", ["startsAt", "endsAt", "updatedAt"])
def test_unparseable_time_names_field_and_value(field: str) -> None:
    rejected = one_rejection(alert(**{field: "yesterday"}))
    assert rejected.reason == f"{field} 'yesterday' is not an RFC 3339 time"
    assert rejected.where == "line 1"


def test_time_of_wrong_type() -> None:
    assert one_rejection(alert(startsAt=[1])).reason == (
        "startsAt is a list, expected an RFC 3339 time"
    )


def test_starts_at_missing_without_fallback_is_rejected() -> None:
    rejected = one_rejection(alert(startsAt=...))
    assert "startsAt is missing" in rejected.reason


def test_starts_at_missing_uses_envelope_ts() -> None:
    event = one_event({"ts": 1795662985000, "value": alert(startsAt=...)})
    assert event.starts_at == event.event_time == 1795662985.0


def test_event_time_prefers_updated_at_over_starts_at() -> None:
    event = one_event(alert(updatedAt="2026-11-26T03:30:00Z"))
    assert event.event_time == parse_time("2026-11-26T03:30:00Z")
    assert event.starts_at == T0_S


# --- shape 3: recorded envelopes ----------------------------------------------------------


@pytest.mark.parametrize(
    "ts", [1795662985000, 1795662985, 1795662985.0, "2026-11-26T03:16:25Z", "1795662985000"]
)
def test_envelope_ts_units(ts: Any) -> None:
    event = one_event(
        {
            "ts": ts,
            "topic": "alerts",
            "partition": 0,
            "offset": 1207,
            "value": alert(startsAt="2026-01-01T00:00:00Z"),
        }
    )
    assert event.event_time == pytest.approx(T0_S)
    assert event.envelope is not None
    assert event.envelope.ts == pytest.approx(T0_S)


def test_envelope_position_in_origin_and_metadata() -> None:
    record = {
        "ts": 1795662985000,
        "topic": "alerts",
        "partition": 3,
        "offset": 1207,
        "key": "cart",
        "headers": [["source", "am-1"], ["trace", None]],
        "value": json.loads(fixture_bytes(3)),
    }
    events, rejected = decode(record, "line 12")
    assert rejected == []
    assert [e.origin for e in events] == [
        "line 12 (alerts/3@1207), alert 1",
        "line 12 (alerts/3@1207), alert 2",
    ]
    envelope = events[0].envelope
    assert envelope == Envelope(
        ts=1795662985.0,
        topic="alerts",
        partition=3,
        offset=1207,
        key="cart",
        headers=(("source", "am-1"), ("trace", "")),
    )
    assert all(e.event_time == 1795662985.0 for e in events)


def test_envelope_headers_as_object() -> None:
    event = one_event({"ts": 1, "value": alert(), "headers": {"a": "b"}})
    assert event.envelope is not None
    assert event.envelope.headers == (("a", "b"),)


def test_envelope_value_as_json_string() -> None:
    record = {"ts": 1795662985000, "topic": "alerts", "partition": 0, "offset": 5}
    record["value"] = fixture_bytes(1).decode()
    event = one_event(record)
    assert event.fingerprint == "7d45cb93cf92c364"
    assert event.origin == "line 1 (alerts/0@5)"


def test_envelope_value_list_of_api_alerts() -> None:
    events, rejected = decode({"ts": 1, "topic": "t", "value": [alert(), alert()]})
    assert rejected == []
    assert [e.origin for e in events] == ["line 1 (t), alert 1", "line 1 (t), alert 2"]


def test_envelope_without_ts_uses_alert_times() -> None:
    event = one_event({"topic": "alerts", "offset": 9, "value": alert()})
    assert event.event_time == T0_S
    assert event.origin == "line 1 (alerts@9)"


def test_caller_envelope_ts_and_position() -> None:
    carrier = Envelope(ts=None, topic="alerts", partition=1, offset=77)
    event = one_event(alert(), envelope_ts=1795662990000, envelope=carrier)
    assert event.event_time == 1795662990.0
    assert event.origin == "line 1 (alerts/1@77)"
    assert event.envelope is carrier


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"ts": 1, "topic": "alerts"}, "envelope has no 'value' (the alert payload)"),
        (
            {"ts": 1, "topic": "alerts", "value": None},
            "envelope has no 'value' (the alert payload)",
        ),
        ({"ts": 1, "value": 42}, "envelope value is a number, expected an alert payload"),
        ({"ts": 1, "value": "{nope"}, "envelope value is text but not valid JSON"),
        ({"ts": 1, "value": {"ts": 2, "value": {}}}, "envelope value is itself an envelope"),
        ({"ts": "soon", "value": {}}, "envelope ts 'soon' is not a time"),
        ({"ts": True, "value": {}}, "envelope ts is true, expected a time"),
        ({"ts": 1, "offset": "7", "value": {}}, "envelope offset is text, expected a whole number"),
        ({"ts": 1, "headers": [1], "value": {}}, "envelope headers must be a list"),
    ],
)
def test_envelope_rejections(record: dict[str, Any], reason: str) -> None:
    rejected = one_rejection(record, "line 4")
    assert rejected.reason.startswith(reason)
    assert rejected.where.startswith("line 4")
    assert rejected.raw == json.dumps(record)


def test_envelope_rejection_where_names_position() -> None:
    rejected = one_rejection({"topic": "alerts", "partition": 0, "offset": 1207}, "line 12")
    assert rejected.where == "line 12 (alerts/0@1207)"
    assert rejected.envelope is not None
    assert rejected.envelope.offset == 1207


# --- record-level rejections ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'{"alerts": [', "not valid JSON: it ends too early"),
        (b'{"alerts" 1}', "not valid JSON: expected ':' (byte 10)"),
        (b"", "not valid JSON: it ends too early"),
        (b"42", "expected a JSON object or list, got a number"),
        (b'"text"', "expected a JSON object or list, got text"),
        (b"null", "expected a JSON object or list, got null"),
    ],
)
def test_undecodable_records(data: bytes, reason: str) -> None:
    rejected = one_rejection(data, "line 3")
    assert rejected.where == "line 3"
    assert rejected.reason.startswith(reason)
    assert rejected.raw == data.decode()


def test_non_utf8_record() -> None:
    rejected = one_rejection(b'{"labels": {"a": "\xff"}}')
    assert rejected.reason == "not UTF-8 text: byte 0xff at byte 18"
    assert "\ufffd" in rejected.raw


def test_unknown_shape_lists_keys_seen() -> None:
    rejected = one_rejection({"foo": 1, "bar": {"labels": {}}})
    assert rejected.reason.startswith("unknown record shape")
    assert rejected.reason.endswith("keys seen: 'bar', 'foo'")


def test_raw_is_truncated() -> None:
    data = b"x" * 5000
    assert len(one_rejection(data).raw) == 2000


# --- alert-level rejections -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"labels": ...}, "labels are missing; an alert needs labels"),
        ({"labels": None}, "labels are missing; an alert needs labels"),
        ({"labels": {}}, "labels are empty; an alert needs at least one label"),
        ({"labels": ["a"]}, "labels is a list, expected an object of text values"),
        ({"labels": {"instance": 9100}}, "label 'instance' is a number, expected text"),
        ({"labels": {"up": True}}, "label 'up' is true, expected text"),
        ({"labels": {"x": None}}, "label 'x' is null, expected text"),
        ({"annotations": "text"}, "annotations is text, expected an object"),
        ({"status": "pending"}, "status 'pending' is not 'firing' or 'resolved'"),
        ({"status": 1}, "status is a number, expected 'firing', 'resolved' or an object"),
    ],
)
def test_alert_rejections(fields: dict[str, Any], reason: str) -> None:
    obj = alert(**fields)
    if "labels" in fields and fields["labels"] is ...:
        obj.pop("labels", None)
    rejected = one_rejection(obj, "line 5")
    assert rejected.where == "line 5"
    assert rejected.reason.startswith(reason)


def test_bad_alert_inside_good_payload_rejects_only_it() -> None:
    payload = json.loads(fixture_bytes(3))
    payload["alerts"].insert(1, alert(labels={"instance": 9100, "alertname": "X"}))
    payload["alerts"].append(alert(startsAt="not a time"))
    events, rejected = decode(payload, "line 12")
    assert [e.fingerprint for e in events] == ["33bece5e4901e486", "17305f95f01787c1"]
    assert [e.origin for e in events] == ["line 12, alert 1", "line 12, alert 3"]
    assert [(r.where, r.reason) for r in rejected] == [
        ("line 12, alert 2", "alert 2: label 'instance' is a number, expected text"),
        ("line 12, alert 4", "alert 4: startsAt 'not a time' is not an RFC 3339 time"),
    ]
    assert json.loads(rejected[0].raw)["labels"]["instance"] == 9100


def test_non_object_alert_in_list() -> None:
    events, rejected = decode([alert(), "oops"])
    assert len(events) == 1
    assert rejected[0].reason == "alert 2: expected an alert object, got text"


def test_lenient_annotation_values_become_text() -> None:
    event = one_event(alert(annotations={"count": 3, "none": None}))
    assert event.annotations == {"count": "3", "none": ""}


def test_numeric_times_are_epoch() -> None:
    event = one_event(alert(startsAt=1795662985000))
    assert event.starts_at == 1795662985.0


def test_naive_time_is_utc() -> None:
    assert one_event(alert(startsAt="2026-11-26T03:16:25")).starts_at == T0_S


def test_decoder_never_raises_on_garbage() -> None:
    decoder = Decoder()
    garbage: list[bytes | str] = [b"\x00", b"[", b"[[[]]]", b'{"value": {"value": 1}}', b"{}" * 3]
    for data in garbage:
        events, rejected = decoder.decode(data, "x")
        assert events == [] and len(rejected) == 1


def test_repeats_share_cached_label_dicts_but_stay_correct() -> None:
    decoder = Decoder()
    first = decoder.decode(enc(alert()), "line 1")[0][0]
    second = decoder.decode(enc(alert(startsAt="2026-11-26T03:17:25Z")), "line 2")[0][0]
    assert first.labels == second.labels
    assert second.starts_at == T0_S + 60
    assert first.fingerprint == second.fingerprint


def test_lone_surrogate_text_is_rejected() -> None:
    rejected = one_rejection('{"labels": {"a": "\ud800"}}')
    assert rejected.reason == "not valid Unicode text: a lone surrogate at character 18"
    rejected.raw.encode("utf-8")  # exportable


def test_bad_alert_inside_envelope_names_position_and_alert() -> None:
    record = {
        "ts": 1795662985000,
        "topic": "alerts",
        "partition": 0,
        "offset": 1207,
        "value": webhook(alert(), alert(labels=...)),
    }
    events, rejected = decode(record, "line 12")
    assert [e.origin for e in events] == ["line 12 (alerts/0@1207), alert 1"]
    [bad] = rejected
    assert bad.where == "line 12 (alerts/0@1207), alert 2"
    assert bad.reason == "alert 2: labels are missing; an alert needs labels"
    assert bad.envelope is not None and bad.envelope.offset == 1207


def test_empty_webhook_yields_nothing() -> None:
    assert decode(webhook()) == ([], [])


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"ts": "nan", "value": alert()}, "envelope ts 'nan' is out of range for a time"),
        ({"ts": -5, "value": alert()}, "envelope ts -5 is out of range for a time"),
        (alert(startsAt=1e300), "startsAt 1e+300 is out of range for a time"),
        (
            alert(startsAt="9999-12-31T23:59:59-23:59"),
            "startsAt '9999-12-31T23:59:59-23:59' is out of range for a time",
        ),
    ],
)
def test_times_out_of_range_are_rejected(record: dict[str, Any], reason: str) -> None:
    assert one_rejection(record).reason == reason


def test_deeply_nested_json_is_rejected_not_raised() -> None:
    rejected = one_rejection(b"[" * 5000 + b"]" * 5000)
    assert rejected.reason == "not usable JSON: nested too deeply"
