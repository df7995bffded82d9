"""Reading the embedded history: time travel, per-minute counts, the shift report.

`HistoryReader` implements `CountsReader` (core/history/counts.py), so the
trends view draws minutes before this session from it, and rebuilds the
engine's input as of any time: `records_until(T)` returns the stored
observations in the order the engine applied them, and running them through
`analyze_records(..., at=T)` gives exactly the state a replay of the same
input reports at T (tests/core/history compare the analysis JSON).
"""

from __future__ import annotations

import math
import sqlite3
import statistics
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

from core.history.counts import COUNT_SEVERITIES, MinuteCounts
from core.history.payload import decode_chunk
from core.history.store import HistoryError, connect, meta_value
from core.model import Severity
from core.operator import ActionKind, OperatorAction
from core.timeline import Item, Record

_decode_text_map = msgspec.json.Decoder(dict[str, str]).decode
_COLUMN = {int(s): k for k, s in enumerate(COUNT_SEVERITIES)}


@dataclass(frozen=True, slots=True)
class HistoryRecords:
    """Stored observations up to a time, in applied order, as replay records."""

    records: list[Record]
    source_records: int  # records (lines, messages) the sources involved had in all
    pruned_before: float | None  # history before this time was pruned (None: never)
    topology: str  # the topology file of the latest source involved ('' when unknown)


@dataclass(frozen=True, slots=True)
class DomainOutcome:
    """One failure domain of a shift: when it opened, was acknowledged and resolved."""

    source: str
    domain: str
    severity: Severity
    opened: float
    acknowledged: float | None
    """Event clock of the first acknowledge shown on it: its own, or one taken on a
    domain merged into it (from the merge on)."""
    closed: float | None  # None while open, and for a domain that merged into another
    top_cause: str  # the top root cause when the domain was largest
    members: int
    merged_into: str | None = None  # it did not resolve: it went on as this domain

    @property
    def time_to_acknowledge(self) -> float | None:
        return None if self.acknowledged is None else max(0.0, self.acknowledged - self.opened)

    @property
    def time_to_resolve(self) -> float | None:
        return None if self.closed is None else max(0.0, self.closed - self.opened)


class _Acknowledgements:
    """When each domain was first shown acknowledged, merges followed."""

    def __init__(
        self, own: dict[tuple[int, str], float], merges: list[tuple[int, str, str, float]]
    ) -> None:
        self._own = own
        self._into: dict[tuple[int, str], str] = {}
        self._absorbed: dict[tuple[int, str], list[tuple[str, float]]] = {}
        for sid, gone, into, at in merges:
            self._into[(sid, gone)] = into
            self._absorbed.setdefault((sid, into), []).append((gone, float(at)))

    def merged_into(self, sid: int, domain: str) -> str | None:
        return self._into.get((sid, domain))

    def first(self, sid: int, domain: str) -> float | None:
        """Its own first acknowledgement, or a merged-in domain's from the merge on."""
        best = self._own.get((sid, domain))
        seen = {domain}
        stack = [(domain, float("-inf"))]
        while stack:
            into, since = stack.pop()
            for gone, at in self._absorbed.get((sid, into), ()):
                if gone in seen:
                    continue
                seen.add(gone)
                shown_from = max(since, at)  # shown on `domain` once every merge on the way is
                acked = self._own.get((sid, gone))
                if acked is not None:
                    acked = max(acked, shown_from)
                    best = acked if best is None else min(best, acked)
                stack.append((gone, shown_from))
        return best


@dataclass(frozen=True, slots=True)
class ComponentNoise:
    """How much one component alerted in a span."""

    component: str  # '' for alerts that name no topology component
    firings: int
    alerts: int
    firing_seconds: float


@dataclass(frozen=True, slots=True)
class ShiftReport:
    """What happened in [start, end): domains and their outcomes, the noisiest components."""

    start: float
    end: float
    domains: list[DomainOutcome]
    noisiest: list[ComponentNoise]

    @property
    def mean_time_to_acknowledge(self) -> float | None:
        values = [d.time_to_acknowledge for d in self.domains if d.acknowledged is not None]
        return statistics.fmean(v for v in values if v is not None) if values else None

    @property
    def mean_time_to_resolve(self) -> float | None:
        values = [d.time_to_resolve for d in self.domains if d.closed is not None]
        return statistics.fmean(v for v in values if v is not None) if values else None


class HistoryReader:
    """Queries over one history file; safe to share between threads (one lock)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        self._conn = connect(self.path, create=False)
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> HistoryReader:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _all(self, sql: str, args: tuple[Any, ...] = ()) -> list[Any]:
        with self._lock:
            try:
                return self._conn.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise HistoryError(f"cannot read history {str(self.path)!r}: {exc}") from None

    # -- span and stats ----------------------------------------------------

    def time_span(self) -> tuple[float, float] | None:
        """Earliest and latest dated item (None: empty)."""
        row = self._all("SELECT min(first_time), max(last_time) FROM sources")[0]
        return None if row[0] is None else (float(row[0]), float(row[1]))

    def stats(self) -> dict[str, Any]:
        counts = {}
        for table in ("sources", "labels", "episodes", "domain_steps", "actions"):
            counts[table] = int(self._all(f"SELECT count(*) FROM {table}")[0][0])  # noqa: S608
        items, events = self._all(
            "SELECT coalesce(sum(count), 0), coalesce(sum(events), 0) FROM chunks"
        )[0]
        rejected = int(items) - int(events)
        with self._lock:
            pruned = meta_value(self._conn, "pruned_before")
        span = self.time_span()
        return {
            "path": str(self.path),
            "bytes": self.path.stat().st_size if self.path.exists() else 0,
            "sources": counts["sources"],
            "events": int(events),
            "rejected": rejected,
            "alerts": counts["labels"],
            "episodes": counts["episodes"],
            "domain_steps": counts["domain_steps"],
            "operator_actions": counts["actions"],
            "first": None if span is None else span[0],
            "last": None if span is None else span[1],
            "pruned_before": None if pruned is None else float(pruned),
        }

    def sources(self) -> list[dict[str, Any]]:
        rows = self._all(
            "SELECT id, key, name, topology, records, first_time, last_time "
            "FROM sources ORDER BY id"
        )
        keys = ("id", "key", "name", "topology", "records", "first", "last")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def source_id(self, key: str) -> int | None:
        rows = self._all("SELECT id FROM sources WHERE key=?", (key,))
        return int(rows[0][0]) if rows else None

    # -- time travel ---------------------------------------------------------

    def records_until(self, until: float | None = None) -> HistoryRecords:
        """Every stored item with time <= `until` (all when None), in applied order."""
        labels: dict[str, dict[str, str]] = {}
        for fingerprint, text in self._all("SELECT fingerprint, labels FROM labels"):
            labels[fingerprint] = _decode_text_map(text)
        limit = math.inf if until is None else until
        rows = self._all("SELECT source, seq, payload FROM chunks WHERE low <= ?", (limit,))
        found: list[tuple[float, int, int, Item]] = []
        for source, seq, payload in rows:
            for offset, (time, item) in enumerate(decode_chunk(payload, labels)):
                if time <= limit:
                    found.append((time, source, seq + offset, item))
        found.sort(key=lambda entry: entry[:3])  # the order the engine applied them
        records = [Record(n, (entry[3],)) for n, entry in enumerate(found, start=1)]
        involved = sorted({row[0] for row in rows})
        total, topology = 0, ""
        if involved:
            marks = ",".join("?" * len(involved))
            for records_count, topo in self._all(
                f"SELECT records, topology FROM sources WHERE id IN ({marks}) "  # noqa: S608
                "ORDER BY last_time",
                tuple(involved),
            ):
                total += int(records_count)
                topology = topo or topology
        with self._lock:
            pruned = meta_value(self._conn, "pruned_before")
        return HistoryRecords(records, total, None if pruned is None else float(pruned), topology)

    def actions(self, source_id: int) -> list[OperatorAction]:
        """A source's operator actions in the order they were taken."""
        rows = self._all(
            "SELECT kind, domain, who, at, text FROM actions WHERE source=? ORDER BY id",
            (source_id,),
        )
        return [OperatorAction(ActionKind(k), d, w, float(a), t) for k, d, w, a, t in rows]

    # -- trends --------------------------------------------------------------

    def alert_counts(self, start: float, end: float) -> MinuteCounts:
        """Alert episodes firing per minute by severity, for minutes overlapping [start, end)."""
        first = math.floor(start / 60)
        last = math.ceil(end / 60) - 1
        if last < first:
            return MinuteCounts.empty(first, 0)
        low_s, high_s = first * 60.0, (last + 1) * 60.0
        rows = self._all(
            "SELECT severity, start, end FROM episodes WHERE end >= ? AND start < ?",
            (low_s, high_s),
        )
        ended = len(rows)
        # Still firing: up to the source's clock, whose own minute it fires in.
        rows += self._all(
            "SELECT e.severity, e.start, s.last_time FROM episodes e JOIN sources s "
            "ON s.id = e.source WHERE e.end IS NULL AND e.start < ? AND s.last_time >= ?",
            (high_s, low_s),
        )
        counts = MinuteCounts.empty(first, last - first + 1)
        if not rows:
            return counts
        data = np.asarray(rows, dtype=np.float64)
        columns = np.array([_COLUMN.get(int(s), 2) for s in data[:, 0]], dtype=np.int64)
        low = np.floor(data[:, 1] / 60).astype(np.int64)
        until = np.ceil(data[:, 2] / 60).astype(np.int64) - 1
        until[ended:] = np.floor(data[ended:, 2] / 60).astype(np.int64)
        high = np.maximum(until, low)
        keep = (high >= first) & (low <= last)
        low = np.clip(low[keep], first, last) - first
        high = np.clip(high[keep], first, last) - first
        columns = columns[keep]
        diff = np.zeros((counts.minutes + 1, len(COUNT_SEVERITIES)), dtype=np.int64)
        np.add.at(diff, (low, columns), 1)
        np.add.at(diff, (high + 1, columns), -1)
        counts.firing[:] = np.cumsum(diff[:-1], axis=0)
        return counts

    # -- the shift -----------------------------------------------------------

    def shift_report(self, start: float, end: float, *, limit: int = 10) -> ShiftReport:
        """Domains opened in [start, end) with their outcomes, and the noisiest components."""
        rows = self._all(
            "SELECT s.name, o.source, o.domain, o.at, "
            " (SELECT max(severity) FROM domain_steps x WHERE x.source=o.source "
            "   AND x.domain=o.domain), "
            " (SELECT min(at) FROM domain_steps c WHERE c.source=o.source AND c.domain=o.domain "
            "   AND c.step='closed'), "
            " (SELECT root_causes FROM domain_steps r WHERE r.source=o.source "
            "   AND r.domain=o.domain AND r.step != 'closed' ORDER BY r.members DESC, r.at DESC "
            "   LIMIT 1), "
            " (SELECT max(members) FROM domain_steps m WHERE m.source=o.source "
            "   AND m.domain=o.domain) "
            "FROM domain_steps o JOIN sources s ON s.id = o.source "
            "WHERE o.step='opened' AND o.at >= ? AND o.at < ? ORDER BY o.at, o.source, o.domain",
            (start, end),
        )
        sources = sorted({sid for _n, sid, *_rest in rows})
        acknowledged = self._first_acks(sources)
        domains = []
        for name, sid, domain, opened, severity, closed, roots, members in rows:
            causes = msgspec.json.decode(roots) if roots else []
            merged = acknowledged.merged_into(sid, domain)
            domains.append(
                DomainOutcome(
                    source=name,
                    domain=domain,
                    severity=Severity(int(severity or Severity.WARNING)),
                    opened=float(opened),
                    acknowledged=acknowledged.first(sid, domain),
                    closed=None if closed is None or merged is not None else float(closed),
                    top_cause=str(causes[0]["component"]) if causes else "",
                    members=int(members or 0),
                    merged_into=merged,
                )
            )
        return ShiftReport(start, end, domains, self.noisiest(start, end, limit=limit))

    def _first_acks(self, sources: list[int]) -> _Acknowledgements:
        """First acknowledgements and merges of these sources."""
        if not sources:
            return _Acknowledgements({}, [])
        wanted = set(sources)  # operator actions and merges are few: filtered here
        acks = [
            row
            for row in self._all(
                "SELECT source, domain, min(clock) FROM actions WHERE kind='acknowledge' "
                "AND clock IS NOT NULL GROUP BY source, domain"
            )
            if row[0] in wanted
        ]
        merges = []
        if self._all("SELECT 1 FROM sqlite_master WHERE type='table' AND name='merges'"):
            merges = [  # (a store written before merges were kept has none)
                row
                for row in self._all("SELECT source, domain, into_domain, at FROM merges")
                if row[0] in wanted
            ]
        return _Acknowledgements({(s, d): float(c) for s, d, c in acks}, merges)

    def noisiest(self, start: float, end: float, *, limit: int = 10) -> list[ComponentNoise]:
        """Components with the most alert firings overlapping [start, end), noisiest first."""
        rows = self._all(
            "SELECT coalesce(e.component, ''), count(*), count(DISTINCT e.fingerprint), "
            " sum(min(coalesce(e.end, s.last_time), ?) - max(e.start, ?)) "
            "FROM episodes e JOIN sources s ON s.id = e.source "
            "WHERE e.start < ? AND coalesce(e.end, s.last_time) >= ? "
            "GROUP BY 1 ORDER BY 2 DESC, 4 DESC, 1 LIMIT ?",
            (end, start, end, start, limit),
        )
        return [ComponentNoise(c, int(n), int(a), max(0.0, float(s or 0))) for c, n, a, s in rows]
