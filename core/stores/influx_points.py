"""What Watchfloor writes to InfluxDB: alert events and per-minute counts, as line protocol.

Two measurements (the prefix is configurable, default `watchfloor`):

`watchfloor_alert_event`, one point per changed alert per engine delta (the
  console coalesces deltas per frame, so a flap within 16 ms is one point)
  tags    severity (critical|major|warning|info), status (firing|resolved),
          change (new|repeat|refire|resolve), tier, kind (the component's, or
          `unmapped`; `unknown` when the topology does not say)
  fields  fingerprint, alertname, component (strings), firing (0/1),
          severity_level (1-4), duration_s (seconds since the episode started)
  time    the event time

`watchfloor_alerts_minute`, per minute, severity and tier
  tags    severity, tier
  fields  firing (alert episodes firing at some point in the minute, from
          their startsAt to their endsAt, as the SQLite history counts them),
          started, resolved (episodes that started / ended in the minute)
  time    the start of the minute; a minute is written when the event clock
          leaves it and written again when a late change corrects it
          (`core.stores.influx_minutes`)

Tags have bounded cardinality (a few severities, statuses and changes, and the
tiers and kinds the topology names); fingerprints, alert names and component
ids are fields, so an alert storm does not create series. Points with equal
tags and time overwrite each other in InfluxDB, so an event's timestamp is its
event time in milliseconds plus a sub-millisecond offset derived from the
fingerprint: the same observation written twice (a retry, a replay seek back)
overwrites itself, and different alerts with the same event time (one
Alertmanager webhook) stay distinct.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from core.history.counts import COUNT_SEVERITIES
from core.model import Severity
from core.stores.influx_minutes import MinuteAggregator, MinuteTotals
from core.textsafe import safe_text

if TYPE_CHECKING:
    from core.engine import AlertState, Engine, EngineDelta

EVENT_MEASUREMENT = "alert_event"
MINUTE_MEASUREMENT = "alerts_minute"
MAX_TAG_LENGTH = 64
_NS = 1_000_000_000
_SUB_MS = 1_000_000
_SEVERITY_LABELS = {s: s.label for s in Severity}
# Characters a string field cannot carry as they are: controls and bidi overrides
# (shown escaped, as core.textsafe does), backslash and double quote.
_STRING_SPECIAL = re.compile(r'[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\\"]')


class LineSink(Protocol):
    """Where line-protocol points go (the InfluxDB sink, or a list in a benchmark)."""

    def write(self, lines: Sequence[str]) -> None: ...


# -- line protocol escaping ----------------------------------------------------------------


def escape_measurement(name: str) -> str:
    return safe_text(name).replace("\\", "\\\\").replace(",", "\\,").replace(" ", "\\ ")


def escape_key(text: str) -> str:
    """A tag key, tag value or field key: commas, equals signs and spaces escaped."""
    return (
        safe_text(text)
        .replace("\\", "\\\\")
        .replace(",", "\\,")
        .replace("=", "\\=")
        .replace(" ", "\\ ")
    )


def string_field(text: str) -> str:
    """A string field value: quoted, backslashes and quotes escaped, no raw newlines."""
    if _STRING_SPECIAL.search(text) is None:  # the common case: nothing to escape
        return f'"{text}"'
    return '"' + safe_text(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def tag_value(value: object, default: str) -> str:
    """A bounded tag value: text, at most `MAX_TAG_LENGTH` characters, never empty."""
    text = str(value).strip() if value is not None else ""
    return escape_key(text[:MAX_TAG_LENGTH] if text else default)


def line(measurement: str, tags: Sequence[tuple[str, str]], fields: str, time_ns: int) -> str:
    """One point; `tags` are escaped (key, value) pairs in sorted order, `fields` is ready."""
    tag_text = "".join(f",{key}={value}" for key, value in tags)
    return f"{measurement}{tag_text} {fields} {time_ns}"


# -- alert events -------------------------------------------------------------------------


def event_time_ns(event_time: float, fingerprint: str) -> int:
    """Event time in ms plus a sub-millisecond offset taken from the fingerprint."""
    try:
        offset = int(fingerprint[-12:], 16) % _SUB_MS
    except ValueError:
        offset = zlib.crc32(fingerprint.encode("utf-8", "surrogatepass")) % _SUB_MS
    return round(event_time * 1000) * _SUB_MS + offset


class InfluxRecorder:
    """Turns engine changes into points and hands them to a sink (never blocks)."""

    def __init__(self, sink: LineSink, *, prefix: str = "watchfloor") -> None:
        self.sink = sink
        self.event_measurement = escape_measurement(f"{prefix}_{EVENT_MEASUREMENT}")
        self.minute_measurement = escape_measurement(f"{prefix}_{MINUTE_MEASUREMENT}")
        self.minutes = MinuteAggregator()
        self._component_tags: dict[int, tuple[str, str]] = {}
        self._static: dict[str, tuple[str, int]] = {}
        self._heads: dict[tuple[str, str, Severity, bool, str], str] = {}
        self._topology_id = 0
        self.points = 0

    def reset(self, engine: Engine) -> None:
        """The console replaced its engine (new source, seek): continue from its state."""
        self._forget()
        self._topology_id = id(engine.topology)
        firing = [
            (state.fingerprint, state.severity, self._tags(engine, state)[0], state.starts_at)
            for state in engine.alerts.values()
            if state.firing
        ]
        episodes = {fp: state.episodes for fp, state in engine.alerts.items()}
        self.minutes.reset(firing, engine.clock, episodes)

    def _forget(self) -> None:
        """Drop what was cached for the previous engine (a topology can change ids)."""
        self._component_tags = {}
        self._static = {}
        self._heads = {}

    def observe_delta(self, engine: Engine, delta: EngineDelta) -> int:
        return self.observe(engine, delta.alerts_added, delta.alerts_updated, delta.alerts_resolved)

    def observe(
        self,
        engine: Engine,
        added: Sequence[str],
        updated: Sequence[str],
        resolved: Sequence[str],
    ) -> int:
        """Write one point per changed alert (and any minutes that completed); returns points."""
        if id(engine.topology) != self._topology_id:
            self._forget()
            self._topology_id = id(engine.topology)
        lines: list[str] = []
        for fingerprint in dict.fromkeys([*added, *updated, *resolved]):
            state = engine.alerts.get(fingerprint)
            if state is None:
                continue
            tier, kind = self._tags(engine, state)
            firing = state.firing
            completed, change = self.minutes.observe(
                fingerprint,
                firing,
                state.severity,
                tier,
                state.last_event_time,
                state.episodes,
                state.starts_at,
                state.ends_at,
            )
            for minute in completed:
                lines.extend(self._minute_lines(minute))
            lines.append(self._event_line(engine, state, tier, kind, change))
        if lines:
            self.sink.write(lines)
        self.points += len(lines)
        return len(lines)

    def flush(self) -> int:
        """Write the current minute as far as it goes (on close, or before a read-back)."""
        lines = [ln for minute in self.minutes.pending() for ln in self._minute_lines(minute)]
        if lines:
            self.sink.write(lines)
        self.points += len(lines)
        return len(lines)

    def _tags(self, engine: Engine, state: AlertState) -> tuple[str, str]:
        node = state.component
        if node is None:
            return "unmapped", "unmapped"
        tags = self._component_tags.get(node)
        if tags is None:
            attrs = engine.topology.attrs[node]
            tags = (
                tag_value(attrs.get("tier"), "unknown"),
                tag_value(attrs.get("kind"), "unknown"),
            )
            self._component_tags[node] = tags
        return tags

    def _event_line(
        self, engine: Engine, state: AlertState, tier: str, kind: str, change: str
    ) -> str:
        # Hot path (every alert change, on the console's GUI thread): what never
        # changes for an alert (its name, component, fingerprint, time offset) and
        # each tag combination are escaped once and cached.
        fingerprint = state.fingerprint
        static = self._static.get(fingerprint)
        if static is None:
            node = state.component
            component = "" if node is None else engine.topology.ids[node]
            static = self._static[fingerprint] = (
                f"alertname={string_field(state.alertname)},"
                f"component={string_field(component)},"
                f"fingerprint={string_field(fingerprint)},",
                event_time_ns(0.0, fingerprint),
            )
        severity = state.severity
        firing = state.firing
        key = (change, kind, severity, firing, tier)
        head = self._heads.get(key)
        if head is None:
            tags = (
                ("change", change),
                ("kind", kind),
                ("severity", _SEVERITY_LABELS[severity]),
                ("status", "firing" if firing else "resolved"),
                ("tier", tier),
            )
            head = self._heads[key] = (
                self.event_measurement + "".join(f",{k}={v}" for k, v in tags) + " "
            )
        ended = state.last_event_time if firing or state.ends_at is None else state.ends_at
        duration = max(0.0, ended - state.starts_at)
        time_ns = round(state.last_event_time * 1000) * _SUB_MS + static[1]
        return (
            f"{head}{static[0]}duration_s={duration!r},firing={int(firing)}i,"
            f"severity_level={int(severity)}i {time_ns}"
        )

    def _minute_lines(self, totals: MinuteTotals) -> list[str]:
        minute, firing, started, resolved, keys = totals
        return [
            line(
                self.minute_measurement,
                (("severity", _SEVERITY_LABELS[sev]), ("tier", tier)),
                f"firing={firing[(sev, tier)]}i,resolved={resolved[(sev, tier)]}i,"
                f"started={started[(sev, tier)]}i",
                minute * 60 * _NS,
            )
            for sev, tier in sorted(keys)
        ]


COUNT_SEVERITY_LABELS = tuple(s.label for s in COUNT_SEVERITIES)
"""Severity tag values the read-back counts, in `MinuteCounts` column order."""
