"""Fingerprints must equal Alertmanager's own, byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.ingest.fingerprint import (
    EMPTY_FINGERPRINT,
    alertmanager_fingerprint,
    clear_cache,
    fnv1a_64,
)

DATA = Path(__file__).parents[2] / "data" / "alertmanager"


def _fixture_alerts() -> list[dict]:
    alerts = []
    for path in sorted(DATA.glob("*.json")):
        alerts.extend(json.loads(path.read_bytes())["alerts"])
    return alerts


def test_fixtures_are_present() -> None:
    assert len(_fixture_alerts()) >= 4


@pytest.mark.parametrize("alert", _fixture_alerts(), ids=lambda a: a["fingerprint"])
def test_equals_alertmanager_fingerprint_of_real_payloads(alert: dict) -> None:
    clear_cache()
    assert alertmanager_fingerprint(alert["labels"]) == alert["fingerprint"]
    # and again from the cache
    assert alertmanager_fingerprint(alert["labels"]) == alert["fingerprint"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        # Published FNV-1a 64 test vectors (Fowler/Noll/Vo reference suite).
        (b"", 0xCBF29CE484222325),
        (b"a", 0xAF63DC4C8601EC8C),
        (b"foobar", 0x85944171F73967E8),
    ],
)
def test_fnv1a_64_known_vectors(data: bytes, expected: int) -> None:
    assert fnv1a_64(data) == expected


def test_prometheus_common_signature_vector() -> None:
    # prometheus/common model/signature_test.go TestLabelsToSignature.
    labels = {"name": "garland, briggs", "fear": "love is not enough"}
    assert int(alertmanager_fingerprint(labels), 16) == 5799056148416392346


def test_empty_label_set_is_offset_basis() -> None:
    assert alertmanager_fingerprint({}) == "cbf29ce484222325" == EMPTY_FINGERPRINT


def test_hand_computed_single_label() -> None:
    # FNV-1a over b"a\xffb\xff", computed step by step.
    h = 0xCBF29CE484222325
    for byte in b"a\xffb\xff":
        h = ((h ^ byte) * 0x100000001B3) % 2**64
    assert alertmanager_fingerprint({"a": "b"}) == f"{h:016x}"


def test_zero_padded_to_16_digits() -> None:
    value = alertmanager_fingerprint({"alertname": "x"})
    assert len(value) == 16
    assert value == value.lower()
    int(value, 16)


def test_separator_keeps_names_and_values_apart() -> None:
    assert alertmanager_fingerprint({"ab": "c"}) != alertmanager_fingerprint({"a": "bc"})


labels_strategy = st.dictionaries(st.text(max_size=12), st.text(max_size=20), max_size=8)


@given(labels_strategy, st.randoms(use_true_random=False))
def test_order_of_labels_is_irrelevant(labels: dict[str, str], rnd) -> None:
    items = list(labels.items())
    rnd.shuffle(items)
    clear_cache()
    first = alertmanager_fingerprint(labels)
    clear_cache()
    assert alertmanager_fingerprint(dict(items)) == first
    assert alertmanager_fingerprint(dict(reversed(items))) == first


@given(labels_strategy)
def test_cached_equals_uncached(labels: dict[str, str]) -> None:
    cached = alertmanager_fingerprint(labels)
    clear_cache()
    assert alertmanager_fingerprint(labels) == cached
