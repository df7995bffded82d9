"""`watchfloor analyze`: run a replay through the engine and report (DESIGN.md 3.4).

The JSON form is the contract other tools (and the console's tests) rely on;
the text form is what an operator reads in a terminal.
"""

from __future__ import annotations

import bisect
import time as _time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.engine import DomainView, Engine, EngineConfig
from core.graph.topology import Topology
from core.model import format_time
from core.textsafe import safe_text
from core.timeline import Record, load_records, timeline

_BATCH = 4096


@dataclass(slots=True)
class Analysis:
    """The engine's state after a replay, in report form."""

    engine: Engine
    records: int
    at: float | None = None
    source: str = ""
    seconds: float = 0.0
    domains: list[DomainView] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        engine = self.engine
        return {
            "summary": {
                "records": self.records,
                "alerts": len(engine.alerts),
                "rejected": engine.rejected_total,
                "active": sum(1 for a in engine.alerts.values() if a.firing),
                "domains": len(self.domains),
            },
            "domains": [
                {
                    "id": d.id,
                    "severity": d.severity.label,
                    "first_seen": format_time(d.first_seen),
                    "members": list(d.members),
                    "root_causes": [
                        {"component": c.component, "score": c.score, "alerting": c.alerting}
                        for c in d.root_causes
                    ],
                    "impacted": list(d.impacted),
                    "alerts": list(d.alerts),
                }
                for d in self.domains
            ],
            "unmapped": engine.unmapped_firing,
            "rejected": [{"where": r.where, "reason": r.reason} for r in engine.rejected],
        }


def analyze_records(
    topology: Topology,
    records: list[Record],
    *,
    at: float | None = None,
    config: EngineConfig | None = None,
) -> Analysis:
    """Run decoded records through a fresh engine, as of `at` when given.

    The observations with event time <= `at` are applied in event-time order
    (core.timeline), so the result equals a replay played or seeked to `at`.
    """
    started = _time.perf_counter()
    engine = Engine(topology, config)
    items = timeline(records)
    if at is not None:
        items = items[: bisect.bisect_right(items, at, key=lambda pair: pair[0])]
    for offset in range(0, len(items), _BATCH):
        engine.apply([item for _, item in items[offset : offset + _BATCH]])
    if at is not None:
        engine.advance_to(at)
    analysis = Analysis(engine=engine, records=len(records), at=at)
    analysis.domains = engine.domains()
    analysis.seconds = _time.perf_counter() - started
    return analysis


def analyze_replay(
    topology: Topology,
    replay: str | Path,
    *,
    at: float | None = None,
    config: EngineConfig | None = None,
) -> Analysis:
    """Analyse a replay file (NDJSON, optionally gzip) against a topology."""
    analysis = analyze_records(topology, load_records(replay), at=at, config=config)
    analysis.source = str(replay)
    return analysis


# -- text report -------------------------------------------------------------

_MAX_LISTED = 8


def render_text(analysis: Analysis) -> str:
    """The operator's terminal report: domains, root causes, impact, rejects."""
    engine = analysis.engine
    topo = engine.topology
    report = analysis.to_json()
    summary = report["summary"]
    lines: list[str] = []
    clock = analysis.at if analysis.at is not None else engine.clock
    when = format_time(clock) if clock is not None else "no events"
    lines.append(
        f"Watchfloor analysis of {safe_text(analysis.source or 'stream')} "
        f"on {safe_text(topo.source or 'topology')} ({len(topo)} components)"
    )
    lines.append(
        f"As of {when}: {summary['records']:,} records, {summary['alerts']:,} alerts, "
        f"{summary['active']:,} firing, {len(engine.unmapped_firing):,} unmapped, "
        f"{summary['rejected']:,} rejected"
    )
    lines.append("")
    domains = analysis.domains
    if not domains:
        lines.append("No open failure domains.")
    else:
        plural = "domain" if len(domains) == 1 else "domains"
        lines.append(f"{len(domains)} open failure {plural}, worst first:")
    for rank, domain in enumerate(domains, start=1):
        lines.append("")
        age = ""
        if clock is not None:
            age = f" ({_duration(clock - domain.first_seen)} ago)"
        lines.append(
            f"[{rank}] {domain.id}  {domain.severity.label.upper()}  "
            f"{domain.size} alerting, {len(domain.alerts)} alerts, "
            f"{len(domain.impact)} impacted, since {format_time(domain.first_seen)}{age}"
        )
        lines.append("    Root causes:")
        for index, cause in enumerate(domain.root_causes, start=1):
            silent = "" if cause.alerting else "  (silent: not alerting)"
            lines.append(
                f"      {index}. {safe_text(cause.component):<32} {cause.score:.2f}{silent}"
            )
            if cause.reasons:
                lines.append(f"         {safe_text('; '.join(cause.reasons))}")
        lines.append(f"    Alerting: {_listing(domain.members)}")
        if len(domain.impact):
            lines.append(
                f"    Impact:   {_listing(domain.impact.ids(_MAX_LISTED), len(domain.impact))}"
            )
        names = sorted({engine.alerts[fp].alertname for fp in domain.alerts})
        lines.append(f"    Alerts:   {_listing(names)}")
    unmapped = engine.unmapped_firing
    if unmapped:
        lines.append("")
        lines.append(f"Unmapped firing alerts (no topology component): {len(unmapped)}")
        for fp in unmapped[:_MAX_LISTED]:
            alert = engine.alerts[fp]
            labels = ", ".join(f"{k}={v}" for k, v in sorted(alert.labels.items()))
            lines.append(f"    {fp}  {safe_text(labels)}")
        if len(unmapped) > _MAX_LISTED:
            lines.append(f"    ... and {len(unmapped) - _MAX_LISTED} more")
    if engine.rejected_total:
        lines.append("")
        lines.append(f"Rejected records: {engine.rejected_total}")
        for rejected in engine.rejected[:_MAX_LISTED]:
            lines.append(f"    {safe_text(rejected.where)}: {safe_text(rejected.reason)}")
        if engine.rejected_total > _MAX_LISTED:
            lines.append(f"    ... and {engine.rejected_total - _MAX_LISTED} more")
    return "\n".join(lines) + "\n"


def _listing(items: Iterable[str], total: int | None = None) -> str:
    values = list(items)
    total = len(values) if total is None else total
    shown = ", ".join(safe_text(v) for v in values[:_MAX_LISTED])
    if total > _MAX_LISTED:
        shown += f", ... (+{total - _MAX_LISTED} more)"
    return shown


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 120:
        return f"{minutes}m"
    return f"{minutes // 60}h{minutes % 60:02d}m"
