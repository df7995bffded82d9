"""The alerts table's data layer: columnar arrays over the engine's alerts.

One row per fingerprint, in arrival order (the engine never forgets an alert,
so rows only grow until the engine is replaced). Every column is a numpy
array or an interned string column (codes + distinct values), so filtering
and sorting a million rows are a handful of vectorised passes rather than a
million Python calls; the one exception is the free-text search over label
values, which keeps one lowercase string per row, built when first needed.

No Qt here: the table model (alert_model.py) maps rows of `order()` to cells.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt

from core.engine import AlertState, Engine
from core.model import Severity, Status, format_time

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

UNMAPPED = "unmapped"

# Base columns: key -> header. Label columns are "label:<name>".
BASE_COLUMNS: dict[str, str] = {
    "severity": "Severity",
    "status": "Status",
    "alertname": "Alert",
    "component": "Component",
    "domain": "Domain",
    "summary": "Summary",
    "starts": "Starts",
    "ends": "Ends / age",
    "repeats": "Repeats",
    "episodes": "Episodes",
    "fingerprint": "Fingerprint",
}
LABEL_PREFIX = "label:"


@dataclass(frozen=True, slots=True)
class AlertFilter:
    """What the operator asked to see; empty fields do not filter."""

    text: str = ""
    severities: frozenset[Severity] = frozenset(Severity)
    status: str = "all"  # "firing" | "resolved" | "all"
    domain: str | None = None
    component: str | None = None
    time_range: tuple[float, float] | None = None


class Interned:
    """A string column stored as int32 codes into a list of distinct values."""

    def __init__(self) -> None:
        self.values: list[str] = []
        self._codes: dict[str, int] = {}
        self._rank: IntArray | None = None

    def code(self, value: str) -> int:
        code = self._codes.get(value)
        if code is None:
            code = self._codes[value] = len(self.values)
            self.values.append(value)
            self._rank = None
        return code

    def rank(self) -> IntArray:
        """Position of each code in sorted (case-insensitive) order."""
        if self._rank is None:
            order = sorted(range(len(self.values)), key=lambda c: self.values[c].casefold())
            rank = np.empty(len(order), dtype=np.int64)
            rank[order] = np.arange(len(order))
            self._rank = rank
        return self._rank

    def matching(self, needle: str) -> BoolArray:
        """Which codes' values contain `needle` (already case-folded)."""
        return np.fromiter(
            (needle in v.casefold() for v in self.values), dtype=bool, count=len(self.values)
        )


class _Grow:
    """Column arrays with spare capacity, so appends are amortised O(1)."""

    def __init__(self, specs: dict[str, Any]) -> None:
        self.capacity = 1024
        self.arrays: dict[str, np.ndarray[Any, Any]] = {
            name: np.empty(self.capacity, dtype=dtype) for name, dtype in specs.items()
        }

    def ensure(self, size: int) -> None:
        if size <= self.capacity:
            return
        capacity = max(size, self.capacity * 2)
        for name, array in self.arrays.items():
            grown = np.empty(capacity, dtype=array.dtype)
            grown[: self.capacity] = array
            self.arrays[name] = grown
        self.capacity = capacity


class AlertStore:
    """Columnar copy of the engine's alerts plus the derived domain column."""

    def __init__(self, engine: Engine) -> None:
        self.load(engine)

    # -- loading and updating -------------------------------------------------

    def load(self, engine: Engine) -> None:
        """Rebuild every column from `engine` (on engine reset)."""
        self.engine = engine
        topology = engine.topology
        self.n = 0
        self.fingerprints: list[str] = []
        self.row_of: dict[str, int] = {}
        self._cols = _Grow(
            {
                "severity": np.int8,
                "firing": np.bool_,
                "starts": np.float64,
                "ends": np.float64,
                "repeats": np.int32,
                "episodes": np.int32,
                "component": np.int32,
                "alertname": np.int32,
                "summary": np.int32,
                "fp_key": np.int64,
            }
        )
        self.alertnames = Interned()
        self.summaries = Interned()
        self.label_keys: set[str] = set()
        self._labels: dict[str, tuple[Interned, npt.NDArray[np.int32]]] = {}
        self._haystack: list[str] | None = None
        ids = topology.ids
        order = sorted(range(len(ids)), key=lambda i: ids[i].casefold())
        # One extra slot at the end: index -1 (unmapped) sorts after every id.
        self._component_rank = np.empty(len(ids) + 1, dtype=np.int64)
        self._component_rank[order] = np.arange(len(ids))
        self._component_rank[-1] = len(ids)
        self._component_folded = [i.casefold() for i in ids]
        self.domain_ids: list[str] = []
        self._domain_code: dict[str, int] = {}
        self._node_domain = np.full(len(ids) + 1, -1, dtype=np.int32)
        self._domain_members: dict[int, IntArray] = {}  # code -> members last set
        self._bulk_load(list(engine.alerts.values()))
        self.set_domains(engine.domain_ids())

    def _bulk_load(self, alerts: list[AlertState]) -> None:
        """Fill every column at once: one C-level pass per column, not one per cell."""
        n = len(alerts)
        self._cols.ensure(n)
        a = self._cols.arrays
        self.fingerprints = [x.fingerprint for x in alerts]
        self.row_of = {fp: i for i, fp in enumerate(self.fingerprints)}
        self.n = n

        def fill(name: str, values: Iterable[Any]) -> None:
            a[name][:n] = np.fromiter(values, dtype=a[name].dtype, count=n)

        fill("severity", (x.severity for x in alerts))
        fill("firing", (x.status is Status.FIRING for x in alerts))
        fill("starts", (x.starts_at for x in alerts))
        fill("ends", (float("nan") if x.ends_at is None else x.ends_at for x in alerts))
        fill("repeats", (x.repeats for x in alerts))
        fill("episodes", (x.episodes for x in alerts))
        fill("component", (-1 if x.component is None else x.component for x in alerts))
        fill("alertname", map(self.alertnames.code, (x.alertname for x in alerts)))
        summary_code = self.summaries.code
        fill("summary", (summary_code(x.annotations.get("summary", "")) for x in alerts))
        fill("fp_key", map(_fingerprint_key, self.fingerprints))
        keys = self.label_keys
        for x in alerts:
            keys.update(x.labels)

    def upsert(self, alerts: Iterable[AlertState]) -> tuple[list[int], list[int]]:
        """Copy these alerts' current state in; returns (new rows, updated rows)."""
        added: list[int] = []
        updated: list[int] = []
        batch = alerts if isinstance(alerts, Sequence) else list(alerts)
        self._cols.ensure(self.n + len(batch))
        a = self._cols.arrays
        severity, firing, starts, ends = a["severity"], a["firing"], a["starts"], a["ends"]
        repeats, episodes, summary = a["repeats"], a["episodes"], a["summary"]
        summary_code = self.summaries.code
        nan = float("nan")
        for alert in batch:
            row = self.row_of.get(alert.fingerprint)
            if row is None:
                row = self._append(alert)
                added.append(row)
            else:
                updated.append(row)
            severity[row] = alert.severity
            firing[row] = alert.status is Status.FIRING
            starts[row] = alert.starts_at
            ends[row] = nan if alert.ends_at is None else alert.ends_at
            repeats[row] = alert.repeats
            episodes[row] = alert.episodes
            summary[row] = summary_code(alert.annotations.get("summary", ""))
        return added, updated

    def _append(self, alert: AlertState) -> int:
        row = self.n
        self.n += 1
        fp = alert.fingerprint
        self.fingerprints.append(fp)
        self.row_of[fp] = row
        a = self._cols.arrays
        a["component"][row] = -1 if alert.component is None else alert.component
        a["alertname"][row] = self.alertnames.code(alert.alertname)
        a["fp_key"][row] = _fingerprint_key(fp)
        labels = alert.labels
        self.label_keys.update(labels)
        for name, (interned, codes) in self._labels.items():
            if row >= codes.size:
                grown = np.empty(max(row + 1, codes.size * 2), dtype=np.int32)
                grown[: codes.size] = codes
                codes = grown
                self._labels[name] = (interned, codes)
            codes[row] = interned.code(labels.get(name, ""))
        if self._haystack is not None:
            self._haystack.append(_haystack(labels))
        return row

    def set_domains(self, domain_ids: Iterable[str]) -> None:
        """Recompute which domain each component is in, from every open domain."""
        # Members only: building each domain's view (ranking, blast radius) here
        # would cost every changed domain its ranking on every update.
        self._node_domain.fill(-1)
        self._domain_members = {}
        for domain_id in domain_ids:
            self._assign(domain_id)

    def update_domains(
        self, opened: Iterable[str], changed: Iterable[str], closed: Iterable[str]
    ) -> None:
        """Follow one delta of domains: work in proportion to the domains it names.

        Gives what `set_domains(engine.domain_ids())` gives, provided the
        earlier deltas were followed too: a component is in at most one open
        domain, and a domain whose members change is named in the delta.
        """
        opened, changed = list(opened), list(changed)
        node_domain = self._node_domain
        for domain_id in (*opened, *changed, *closed):
            code = self._domain_code.get(domain_id)
            members = None if code is None else self._domain_members.pop(code, None)
            if members is not None:  # only where no other domain took them since
                node_domain[members[node_domain[members] == code]] = -1
        for domain_id in (*opened, *changed):
            self._assign(domain_id)

    def _assign(self, domain_id: str) -> None:
        members = self.engine.domain_members(domain_id)
        if not members:
            return
        code = self._domain_code.get(domain_id)
        if code is None:
            code = self._domain_code[domain_id] = len(self.domain_ids)
            self.domain_ids.append(domain_id)
        nodes = np.asarray(members, dtype=np.int64)
        self._node_domain[nodes] = code
        self._domain_members[code] = nodes

    # -- columns --------------------------------------------------------------

    def column(self, name: str) -> np.ndarray[Any, Any]:
        """The first `n` values of a numeric column."""
        return self._cols.arrays[name][: self.n]

    def domain_codes(self) -> npt.NDArray[np.int32]:
        """Per row: code into `domain_ids` of the firing alert's domain, or -1."""
        codes = self._node_domain[self.column("component")]
        return np.where(self.column("firing"), codes, -1).astype(np.int32)

    def label_codes(self, name: str) -> tuple[Interned, npt.NDArray[np.int32]]:
        """An interned column for one label (built on first use, then kept up to date)."""
        found = self._labels.get(name)
        if found is None:
            interned = Interned()
            alerts = self.engine.alerts
            codes = np.fromiter(
                (interned.code(alerts[fp].labels.get(name, "")) for fp in self.fingerprints),
                dtype=np.int32,
                count=self.n,
            )
            found = self._labels[name] = (interned, codes)
        return found

    def sort_key(self, column: str) -> np.ndarray[Any, Any]:
        """A numeric key per row whose ascending order is the column's order."""
        n = self.n
        if column == "severity":
            return self.column("severity").astype(np.int64)
        if column == "status":
            return self.column("firing").astype(np.int64)
        if column == "alertname":
            return self.alertnames.rank()[self.column("alertname")]
        if column == "summary":
            return self.summaries.rank()[self.column("summary")]
        if column == "component":
            return self._component_rank[self.column("component")]
        if column == "domain":
            rank = np.array([_domain_order(d) for d in self.domain_ids] + [1 << 40])
            return rank[self.domain_codes()]
        if column == "starts":
            return self.column("starts")
        if column == "ends":
            ends = self.column("ends")
            return np.where(self.column("firing") | np.isnan(ends), np.inf, ends)
        if column in ("repeats", "episodes"):
            return self.column(column).astype(np.int64)
        if column == "fingerprint":
            return self.column("fp_key")
        if column.startswith(LABEL_PREFIX):
            interned, codes = self.label_codes(column[len(LABEL_PREFIX) :])
            return interned.rank()[codes[:n]]
        return np.arange(n, dtype=np.int64)

    def sort_identity(self, column: str) -> np.ndarray[Any, Any]:
        """Per row, a value that is equal exactly when the sort key is equal.

        Ranks of interned columns shift when a new value arrives, codes do
        not: the table model compares identities from before and after an
        update to tell which rows moved.
        """
        if column in ("alertname", "summary", "component"):
            return self.column(column)
        if column.startswith(LABEL_PREFIX):
            return self.label_codes(column[len(LABEL_PREFIX) :])[1][: self.n]
        return self.sort_key(column)

    # -- filtering and sorting ------------------------------------------------

    def mask(self, spec: AlertFilter, rows: IntArray | None = None) -> BoolArray:
        """Which rows (all, or the given ones) pass the filter."""

        def col(name: str) -> np.ndarray[Any, Any]:
            values = self.column(name)
            return values if rows is None else values[rows]

        size = self.n if rows is None else rows.size
        keep = np.ones(size, dtype=bool)
        if spec.severities != frozenset(Severity):
            allowed = np.zeros(max(Severity) + 1, dtype=bool)
            allowed[[int(s) for s in spec.severities]] = True
            keep &= allowed[col("severity")]
        if spec.status == "firing":
            keep &= col("firing")
        elif spec.status == "resolved":
            keep &= ~col("firing")
        if spec.component is not None:
            node = self.engine.topology.index.get(spec.component, -2)
            keep &= col("component") == node
        if spec.domain is not None:
            closed = self.engine.closed_domain(spec.domain)
            if closed is None:
                code = self._domain_code.get(spec.domain, -2)
                codes = self.domain_codes()
                keep &= (codes if rows is None else codes[rows]) == code
            else:  # listed for a past time range: its components' alerts while it was open
                index = self.engine.topology.index
                nodes = [index[m] for m in closed.members if m in index]
                ends = col("ends")
                began = min(closed.first_seen, closed.opened_at)
                keep &= np.isin(col("component"), nodes)
                keep &= (col("starts") <= closed.closed_at) & (
                    col("firing") | np.isnan(ends) | (ends >= began)
                )
        if spec.time_range is not None:
            start, end = spec.time_range
            ends = col("ends")
            open_ended = col("firing") | np.isnan(ends)
            keep &= (col("starts") <= end) & (open_ended | (ends >= start))
        needle = spec.text.strip().casefold()
        if needle:
            keep &= self._text_mask(needle, rows, keep)
        return keep

    def _text_mask(self, needle: str, rows: IntArray | None, candidates: BoolArray) -> BoolArray:
        def col(name: str) -> np.ndarray[Any, Any]:
            values = self.column(name)
            return values if rows is None else values[rows]

        hit = self.alertnames.matching(needle)[col("alertname")]
        hit |= self.summaries.matching(needle)[col("summary")]
        component_hit = np.fromiter(
            (needle in c for c in self._component_folded),
            dtype=bool,
            count=len(self._component_folded),
        )
        hit |= np.append(component_hit, needle in UNMAPPED)[col("component")]
        # Label values: only rows still in question are searched.
        todo = np.flatnonzero(candidates & ~hit)
        if todo.size:
            haystack = self._haystacks()
            picked = todo if rows is None else rows[todo]
            found = np.fromiter(
                (needle in haystack[r] for r in picked.tolist()), dtype=bool, count=picked.size
            )
            hit[todo[found]] = True
        return hit

    def _haystacks(self) -> list[str]:
        if self._haystack is None:
            alerts = self.engine.alerts
            self._haystack = [_haystack(alerts[fp].labels) for fp in self.fingerprints]
        return self._haystack

    def order(self, spec: AlertFilter, sort: str | None, descending: bool) -> IntArray:
        """Rows passing the filter, sorted by a column (ties: arrival order)."""
        rows = np.flatnonzero(self.mask(spec)).astype(np.int64)
        if sort is None:
            return rows[::-1].copy() if descending else rows
        key = self.sort_key(sort)[rows]
        if descending:
            key = -key
        return rows[np.argsort(key, kind="stable")]

    # -- cells ------------------------------------------------------------------

    def component_id(self, row: int) -> str | None:
        node = int(self.column("component")[row])
        return None if node < 0 else self.engine.topology.ids[node]

    def domain_id(self, row: int) -> str | None:
        a = self._cols.arrays
        if not a["firing"][row]:
            return None
        code = int(self._node_domain[a["component"][row]])
        return None if code < 0 else self.domain_ids[code]

    def severity(self, row: int) -> Severity:
        return Severity(int(self._cols.arrays["severity"][row]))

    def firing(self, row: int) -> bool:
        return bool(self._cols.arrays["firing"][row])

    def text(self, row: int, column: str, clock: float | None) -> str:
        """The cell as plain text (not yet escaped)."""
        return self.text_of(column, clock)(row)

    def text_of(self, column: str, clock: float | None) -> Callable[[int], str]:
        """Row -> the cell of `column` as plain text (not yet escaped).

        One dispatch per column rather than per cell, for painting many rows
        at once. Use it at once: the arrays it reads are replaced as rows grow.
        """
        a = self._cols.arrays
        if column == "severity":
            severity = a["severity"]
            return lambda row: Severity(int(severity[row])).label
        if column == "status":
            firing = a["firing"]
            return lambda row: "firing" if firing[row] else "resolved"
        if column in ("alertname", "summary"):
            values = (self.alertnames if column == "alertname" else self.summaries).values
            codes = a[column]
            return lambda row: values[codes[row]]
        if column == "component":
            return lambda row: self.component_id(row) or UNMAPPED
        if column == "domain":
            return lambda row: self.domain_id(row) or ""
        if column == "starts":
            starts = a["starts"]
            return lambda row: short_time(float(starts[row]))
        if column == "ends":
            return partial(self._ends_text, a["firing"], a["starts"], a["ends"], clock)
        if column in ("repeats", "episodes"):
            counts = a[column]
            return lambda row: str(int(counts[row]))
        if column == "fingerprint":
            return self.fingerprints.__getitem__
        if column.startswith(LABEL_PREFIX):
            interned, label_codes = self.label_codes(column[len(LABEL_PREFIX) :])
            labels = interned.values
            return lambda row: labels[label_codes[row]]
        return lambda _row: ""

    @staticmethod
    def _ends_text(
        firing: BoolArray,
        starts: npt.NDArray[np.float64],
        ends: npt.NDArray[np.float64],
        clock: float | None,
        row: int,
    ) -> str:
        """'firing <age>' while firing (just 'firing' without a clock), else the end time."""
        if firing[row]:
            return "firing" if clock is None else f"firing {age(clock - float(starts[row]))}"
        end = float(ends[row])
        return "" if end != end else short_time(end)

    def full_time(self, row: int, column: str) -> str:
        value = float(self._cols.arrays["starts" if column == "starts" else "ends"][row])
        return "" if value != value else format_time(value)


def short_time(ts: float) -> str:
    """UTC time as the table shows it: `MM-DD HH:MM:SS` (full RFC 3339 in the tooltip)."""
    text = format_time(ts)
    return f"{text[5:10]} {text[11:19]}"


AGE_STEP = 0.5
"""Event-time seconds the clock moves before the ages on screen are repainted.

Ages show whole seconds (`age`) and the engine's clock reaches the views up
to 20 times a second; repainting the age columns each time redrew the same
texts (the incidents and alerts tables repainted at every frame). An age is
at most this late, in event time."""


class AgeClock:
    """Whether ages on screen need repainting after the clock moved (see AGE_STEP)."""

    def __init__(self) -> None:
        self._shown: float | None = None

    def moved(self, clock: float | None) -> bool:
        """True (and remembered as shown) when `clock` is AGE_STEP or more from the last shown."""
        if clock is None:
            return False
        if self._shown is not None and abs(clock - self._shown) < AGE_STEP:
            return False
        self._shown = clock
        return True


def age(seconds: float) -> str:
    """A compact duration: 45s, 12m, 3h05m, 2d04h."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h{(s % 3600) // 60:02d}m"
    return f"{s // 86400}d{(s % 86400) // 3600:02d}h"


def _haystack(labels: dict[str, str]) -> str:
    return "\x1f".join(f"{k}={v}" for k, v in labels.items()).casefold()


def _fingerprint_key(fingerprint: str) -> int:
    """Alertmanager fingerprints are 16 hex digits: sort them as numbers (63 bits kept)."""
    try:
        return int(fingerprint[:16].ljust(16, "0"), 16) >> 1
    except ValueError:
        return 0


def _domain_order(domain_id: str) -> int:
    digits = domain_id.lstrip("D")
    return int(digits) if digits.isdigit() else 0
