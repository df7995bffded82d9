"""Alertmanager's alert identity: the label-set fingerprint.

Alertmanager (prometheus/common `model.LabelSet.Fingerprint`) hashes the label
names in sorted order with FNV-1a 64, each name and each value followed by the
separator byte 0xFF, and prints the hash as 16 lowercase hex digits. Computing
the same value lets an alert without a `fingerprint` field (API v2 posts,
hand-written replays) keep the identity Alertmanager would give it.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["EMPTY_FINGERPRINT", "alertmanager_fingerprint", "clear_cache", "fnv1a_64"]

_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3
_MASK = 0xFFFFFFFFFFFFFFFF
_SEPARATOR = b"\xff"

# Fingerprints of recently seen label sets. Alerts repeat (every group_interval
# re-sends the firing ones), so most lookups hit; the bound keeps memory flat on
# a stream with ever-new label values.
_CACHE_MAX = 32_768
_cache: dict[tuple[tuple[str, str], ...], str] = {}


def fnv1a_64(data: bytes, h: int = _FNV_OFFSET) -> int:
    """FNV-1a 64 of `data`, continuing from hash state `h`."""
    for byte in data:
        h = ((h ^ byte) * _FNV_PRIME) & _MASK
    return h


EMPTY_FINGERPRINT = f"{_FNV_OFFSET:016x}"
"""Alertmanager's fingerprint of the empty label set: the FNV offset basis."""


def _compute(labels: Mapping[str, str]) -> str:
    # Python sorts str by code point, which for UTF-8 text is the same order as
    # Go's byte-wise string comparison.
    parts: list[bytes] = []
    for name in sorted(labels):
        parts.append(name.encode())
        parts.append(_SEPARATOR)
        parts.append(labels[name].encode())
        parts.append(_SEPARATOR)
    return f"{fnv1a_64(b''.join(parts)):016x}"


def alertmanager_fingerprint(labels: Mapping[str, str]) -> str:
    """The fingerprint Alertmanager gives an alert with these labels (16 hex digits).

    The result never depends on the mapping's order. Results are cached keyed
    by the items in mapping order (cheaper to build and hash than a frozenset
    or a sorted tuple); a repeat from the same source has the same order, so
    it costs one tuple and one dict lookup, and another order only misses.
    """
    key = tuple(labels.items())
    found = _cache.get(key)
    if found is not None:
        return found
    value = _compute(labels)
    if len(_cache) >= _CACHE_MAX:
        # Start afresh rather than evict the oldest: finding a dict's first
        # live entry scans past every deleted one, so FIFO would be quadratic.
        _cache.clear()
    _cache[key] = value
    return value


def clear_cache() -> None:
    """Forget cached fingerprints (tests, or after a huge one-off replay)."""
    _cache.clear()
