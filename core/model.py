"""Small immutable value types shared by ingest, engine, CLI and console.

Times are event times in seconds since the Unix epoch (UTC) as floats; the
engine never reads the wall clock.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime

import msgspec


class Severity(enum.IntEnum):
    """Alert severity, ordered so that a larger value is worse."""

    INFO = 1
    WARNING = 2
    MAJOR = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        """The lowercase name operators read and JSON carries."""
        return self.name.lower()

    @classmethod
    def parse(cls, value: str | None) -> Severity:
        """Map a `severity` label value to a level; unknown or missing is WARNING.

        Alerting rules in the wild use many spellings (PagerDuty's, syslog's,
        Opsgenie's P1-P5); an alert is never dropped for an odd severity.
        """
        if not value:
            return cls.WARNING
        return _SEVERITY_ALIASES.get(value.strip().lower(), cls.WARNING)


_SEVERITY_ALIASES: dict[str, Severity] = {
    **dict.fromkeys(
        ("critical", "crit", "fatal", "emergency", "emerg", "alert", "page", "disaster", "p1"),
        Severity.CRITICAL,
    ),
    **dict.fromkeys(("major", "error", "err", "high", "severe", "p2"), Severity.MAJOR),
    **dict.fromkeys(
        ("warning", "warn", "minor", "medium", "average", "moderate", "p3"), Severity.WARNING
    ),
    **dict.fromkeys(
        (
            "info",
            "informational",
            "information",
            "low",
            "notice",
            "none",
            "debug",
            "ok",
            "p4",
            "p5",
        ),
        Severity.INFO,
    ),
}


class Status(enum.StrEnum):
    """Whether an alert is currently firing or has resolved."""

    FIRING = "firing"
    RESOLVED = "resolved"


class Envelope(msgspec.Struct, frozen=True):
    """Where a record came from on Kafka (DESIGN.md 3.2 shape 3)."""

    ts: float | None = None
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    key: str | None = None
    headers: tuple[tuple[str, str], ...] = ()


class AlertEvent(msgspec.Struct, frozen=True):
    """One decoded, validated alert observation (a firing, a repeat or a resolve).

    `event_time` is the time the engine orders this observation by: the record
    timestamp when the record has one, otherwise the alert's own times.
    `origin` says where it came from ("line 12, alert 2" or "alerts/3@1207").
    """

    fingerprint: str
    status: Status
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: float
    ends_at: float | None
    event_time: float
    severity: Severity
    generator_url: str = ""
    origin: str = ""
    envelope: Envelope | None = None

    @property
    def alertname(self) -> str:
        return self.labels.get("alertname", "")


class Rejected(msgspec.Struct, frozen=True):
    """A record that could not be decoded or validated; kept, shown and exportable."""

    where: str
    reason: str
    raw: str = ""
    envelope: Envelope | None = None


def format_time(ts: float) -> str:
    """RFC 3339 in UTC with a `Z`, seconds precision unless there is a fraction."""
    dt = datetime.fromtimestamp(ts, tz=UTC)
    if dt.microsecond:
        text = dt.isoformat(timespec="milliseconds")
    else:
        text = dt.isoformat(timespec="seconds")
    return text.replace("+00:00", "Z")


def duration_text(seconds: float | None) -> str:
    """'–' for none, else 45s, 12m05s, 3h20m."""
    if seconds is None:
        return "\u2013"
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


def parse_time(text: str) -> float:
    """Parse RFC 3339 (or a bare number of seconds/milliseconds since the epoch).

    Raises ValueError with a message fit for an operator.
    """
    value = text.strip()
    try:
        number = float(value)
    except ValueError:
        pass
    else:
        return epoch_seconds(number)
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"not an RFC 3339 time or epoch number: {text!r}") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def epoch_seconds(number: float) -> float:
    """Interpret a numeric timestamp: milliseconds (Kafka's unit) when it is that large."""
    return number / 1000.0 if abs(number) >= 1e11 else float(number)
