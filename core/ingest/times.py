"""Alert time fields: RFC 3339 text (Go prints nanoseconds) to epoch seconds.

Alertmanager marks an unset time with Go's zero time "0001-01-01T00:00:00Z";
any time before 1970, empty text or null is read as unset too (None).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from core.model import epoch_seconds

__all__ = ["MAX_SECONDS", "datetime_seconds", "describe", "in_range", "parse_alert_time"]

MAX_SECONDS = 253_402_300_799.0
"""9999-12-31T23:59:59Z: the last time Python's datetime (and RFC 3339) can show."""


def in_range(seconds: float) -> bool:
    """Whether an epoch time is finite and between 1970 and the year 9999."""
    return math.isfinite(seconds) and 0.0 <= seconds <= MAX_SECONDS


def datetime_seconds(dt: datetime | None) -> float | None:
    """Seconds since the epoch of an aware datetime; None when unset (before 1970)."""
    if dt is None or dt.year < 1970:
        return None
    seconds = dt.timestamp()
    return seconds if seconds >= 0 else None


def parse_alert_time(value: Any, field: str) -> float | None:
    """Read one alert time field from generic JSON; None when unset.

    Accepts RFC 3339 text with any fraction length and any offset (a time
    without an offset is read as UTC), or a number of seconds or milliseconds
    since the epoch. Raises ValueError with an operator-readable message
    naming the field and the value.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"{field} is {describe(value)}, expected an RFC 3339 time")
    if isinstance(value, int | float):
        seconds = epoch_seconds(float(value))
        if seconds < 0:
            return None
        if not in_range(seconds):
            raise ValueError(f"{field} {value!r} is out of range for a time")
        return seconds
    if not isinstance(value, str):
        raise ValueError(f"{field} is {describe(value)}, expected an RFC 3339 time")
    text = value.strip()
    if not text:
        return None
    dt = _parse_rfc3339(text)
    if dt is None:
        raise ValueError(f"{field} {value!r} is not an RFC 3339 time")
    unset_or_seconds = datetime_seconds(dt)
    if unset_or_seconds is not None and unset_or_seconds > MAX_SECONDS:
        raise ValueError(f"{field} {value!r} is out of range for a time")
    return unset_or_seconds


def _parse_rfc3339(text: str) -> datetime | None:
    # fromisoformat in 3.11 reads "Z", offsets and fractions of any length (it
    # keeps microseconds). A lowercase "t"/"z" is valid RFC 3339 but not ISO.
    normalized = text
    if normalized[-1:] in "zZ":
        normalized = normalized[:-1] + "+00:00"
    if len(normalized) > 10 and normalized[10] in "t ":
        normalized = normalized[:10] + "T" + normalized[11:]
    if len(normalized) < 19 or normalized[4] != "-" or normalized[10] != "T":
        return None  # a date alone, or a compact ISO form, is not RFC 3339
    try:
        dt = datetime.fromisoformat(normalized)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt


def describe(value: Any) -> str:
    """What kind of JSON value this is, in words: 'a number', 'text', 'null'."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
