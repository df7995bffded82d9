"""The typed fast path and the generic path must agree on every valid record."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st

from core.ingest.decode import Decoder
from core.ingest.generic import decode_generic

label_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=12)
set_times = st.one_of(
    st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1)).map(
        lambda dt: dt.isoformat() + "Z"
    ),
    st.just("2026-11-26T03:16:25.475506222+05:30"),
)
times = st.one_of(st.none(), st.just("0001-01-01T00:00:00Z"), set_times)


@st.composite
def alerts(draw: st.DrawFn) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "labels": draw(st.dictionaries(label_text, label_text, min_size=1, max_size=6)),
        "startsAt": draw(set_times),
    }
    for field in ("endsAt", "updatedAt"):
        value = draw(times)
        if value is not None:
            obj[field] = value
    if draw(st.booleans()):
        obj["annotations"] = draw(st.dictionaries(label_text, label_text, max_size=3))
    status = draw(st.sampled_from([None, "firing", "resolved", {"state": "active"}]))
    if status is not None:
        obj["status"] = status
    if draw(st.booleans()):
        obj["fingerprint"] = draw(st.sampled_from(["", "0123456789abcdef", "bad"]))
    return obj


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any] | list[Any]:
    body = draw(st.lists(alerts(), min_size=1, max_size=4))
    shape = draw(st.sampled_from(["webhook", "list", "single", "envelope"]))
    payload: dict[str, Any] | list[Any]
    if shape == "webhook":
        payload = {"version": "4", "status": "firing", "alerts": body}
    elif shape == "list":
        payload = body
    else:
        payload = body[0]
    if shape == "envelope":
        value: Any = {"version": "4", "alerts": body}
        if draw(st.booleans()):
            value = json.dumps(value)
        payload = {
            "ts": draw(st.integers(1_000_000_000_000, 4_000_000_000_000)),
            "topic": "alerts",
            "partition": 0,
            "offset": draw(st.integers(0, 10**9)),
            "value": value,
        }
    return payload


@settings(max_examples=300, deadline=None)
@given(records())
def test_fast_path_equals_generic_path(record: dict[str, Any] | list[Any]) -> None:
    data = json.dumps(record).encode()
    decoder = Decoder()
    # Valid records must not need the generic path at all.
    with patch("core.ingest.decode.decode_generic", side_effect=AssertionError("fell back")):
        fast = decoder.decode(data, "line 9")
        again = decoder.decode(data, "line 9")  # served from the caches
    careful = decode_generic(data, "line 9", None, None)
    assert fast == careful
    assert again == careful
    assert fast[1] == []
