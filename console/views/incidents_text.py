"""The incidents view's words: a domain's top cause, operator state, detail pane and timeline.

Plain text only, escaped with `safe_text` (alert labels and notes are untrusted).
"""

from __future__ import annotations

from collections.abc import Sequence

from console.theme import SEVERITY_GLYPHS
from console.views.alert_store import age, short_time
from core.closed_domains import ClosedDomain
from core.engine import DomainView, Engine
from core.operator import DomainState, OperatorLog
from core.textsafe import safe_text

SILENT_GLYPH = "\u25cc"  # ◌ dotted circle: a candidate that raises no alert
PENDING = "\u2026"  # … a large domain's first ranking is still being built
NEAREST_IMPACT = 8
MERGED_SHOWN = 10  # domains named in "merged in: ..."
CLOSED_IMPACT = "\u2014"  # — a closed domain impacts nothing any more
TIMELINE_SCAN_LIMIT = 50_000  # scan resolved alerts of members only on smaller estates


def root_cause_text(view: DomainView) -> str:
    if not view.root_causes:
        return ""
    top = view.root_causes[0]
    if top.alerting:
        return f"{top.component}  {top.score:.2f}"
    return f"{SILENT_GLYPH} {top.component} (silent)  {top.score:.2f}"


def closed_cause_text(closed: ClosedDomain) -> str:
    """A closed domain's top root cause at its peak (— if it has none).

    Ranked the first time it is asked for (`ClosedDomain.root_causes`), so only
    the rows on screen are ranked, and the same after a seek as in a straight play.
    """
    if closed.root_cause is None:
        return CLOSED_IMPACT
    if closed.root_alerting:
        return closed.root_cause
    return f"{SILENT_GLYPH} {closed.root_cause} (silent)"


def closed_detail_text(closed: ClosedDomain, log: OperatorLog) -> str:
    """The detail pane of a domain that has closed (plain text, escaped)."""
    lines = [
        f"Closed at {short_time(closed.closed_at)} after "
        f"{age(closed.closed_at - min(closed.first_seen, closed.opened_at))}",
        f"First alert {short_time(closed.first_seen)}, opened {short_time(closed.opened_at)}",
        f"Worst severity {closed.severity.label}; at most {closed.size} alerting components",
        f"Top root cause at its peak: {closed_cause_text(closed)}",
        f"Operator: {operator_text(log, closed.id)}",
        "",
        *closed_causes_lines(closed),
        f"Components that alerted in it ({len(closed.members)})",
        "  " + ", ".join(closed.members),
    ]
    state = log.shown(closed.id, ())
    lines.extend(notes_lines(state))
    return safe_text("\n".join(lines), keep_newlines=True)


def closed_causes_lines(closed: ClosedDomain) -> list[str]:
    """The ranked root causes of a closed domain at its peak (nothing when it has none)."""
    if closed.peak_at is None or not closed.root_causes:
        return []
    at, size = short_time(closed.peak_at), closed.peak_size
    lines = [f"Root causes at its peak ({at}, {size} alerting components)"]
    for rank, cause in enumerate(closed.root_causes, start=1):
        marker = f"{SEVERITY_GLYPHS[closed.severity]} " if cause.alerting else f"{SILENT_GLYPH} "
        silent = "" if cause.alerting else "  (silent: raises no alert)"
        lines.append(f"{rank:>2}. {marker}{cause.component}  score {cause.score:.2f}{silent}")
        lines.extend(f"      - {reason}" for reason in cause.reasons)
    lines.append("")
    return lines


def notes_lines(state: DomainState) -> list[str]:
    """The "Notes" section of a detail pane (nothing when there are none)."""
    if not state.notes:
        return []
    return ["", "Notes", *(f"  {short_time(n.at)} {n.who}: {n.text}" for n in state.notes)]


NO_OPERATOR_STATE = "unacknowledged"
"""The operator column of a domain nobody has acted on (nor on one merged into it)."""


def operator_text(log: OperatorLog, domain_id: str, merged_from: Sequence[str] = ()) -> str:
    """Acknowledgement, assignee and notes as the domain shows them (`OperatorLog.shown`)."""
    state = log.shown(domain_id, merged_from)
    parts = []
    if state.acked_by is not None:
        parts.append(f"\u2714 ack {state.acked_by}")
    if state.assignee is not None:
        parts.append(f"\u2192 {state.assignee}")
    if state.notes:
        parts.append(f"{len(state.notes)} note" + ("s" if len(state.notes) > 1 else ""))
    return " · ".join(parts) if parts else NO_OPERATOR_STATE


def domain_detail_text(
    engine: Engine, view: DomainView, log: OperatorLog, merged_from: Sequence[str] = ()
) -> str:
    """The detail pane as plain text (escaped): state, causes, impact, members, timeline."""
    lines: list[str] = []
    clock = engine.clock
    since = f" ({age(clock - view.first_seen)} ago)" if clock is not None else ""
    lines.append(f"First alert {short_time(view.first_seen)}{since}")
    lines.append(f"Operator: {operator_text(log, view.id, merged_from)}")
    if merged_from:
        shown = ", ".join(merged_from[:MERGED_SHOWN])
        more = (
            f" and {len(merged_from) - MERGED_SHOWN} more"
            if len(merged_from) > MERGED_SHOWN
            else ""
        )
        lines.append(f"  merged in: {shown}{more} (acknowledgements, assignees, notes follow)")
    state = log.shown(view.id, merged_from)
    if state.acked_by is not None and state.acked_at is not None:
        lines.append(f"  acknowledged by {state.acked_by} at {short_time(state.acked_at)}")
    if state.assignee is not None and state.assigned_at is not None:
        lines.append(f"  assigned to {state.assignee} at {short_time(state.assigned_at)}")
    lines.append("")
    lines.append("Root causes (ranked)")
    for rank, cause in enumerate(view.root_causes, start=1):
        marker = f"{SEVERITY_GLYPHS[view.severity]} " if cause.alerting else f"{SILENT_GLYPH} "
        silent = "" if cause.alerting else "  (silent: raises no alert)"
        lines.append(f"{rank:>2}. {marker}{cause.component}  score {cause.score:.2f}{silent}")
        for reason in cause.reasons:
            lines.append(f"      - {reason}")
    lines.append("")
    impact = view.impact
    nearest = ", ".join(
        f"{c} ({h} hop{'s' if h != 1 else ''})"
        for c, h in zip(
            impact.ids(NEAREST_IMPACT), impact.hops[:NEAREST_IMPACT].tolist(), strict=False
        )
    )
    more = " …" if len(impact) > NEAREST_IMPACT else ""
    lines.append(f"Impact: {len(impact)} components not alerting")
    if nearest:
        lines.append(f"  nearest: {nearest}{more}")
    lines.append("")
    lines.append(f"Members ({view.size}, first to alert first)")
    lines.append("  " + ", ".join(view.members))
    lines.append("")
    lines.append("Timeline")
    for when, text in domain_timeline(engine, view):
        lines.append(f"  {short_time(when)}  {text}")
    lines.extend(notes_lines(state))
    return safe_text("\n".join(lines), keep_newlines=True)


def domain_timeline(engine: Engine, view: DomainView) -> list[tuple[float, str]]:
    """Starts and ends of the domain's alerts, in time order.

    Firing alerts come from the domain itself; alerts on its members that
    already resolved are found by a scan of the engine's alerts, done only on
    estates small enough for it to be instant.
    """
    alerts = [engine.alerts[fp] for fp in view.alerts if fp in engine.alerts]
    if len(engine.alerts) <= TIMELINE_SCAN_LIMIT:
        index = engine.topology.index
        members = {index[m] for m in view.members}
        seen = set(view.alerts)
        alerts.extend(
            a
            for a in engine.alerts.values()
            if a.fingerprint not in seen
            and a.component in members
            and a.ends_at is not None
            and a.ends_at >= view.first_seen
        )
    events: list[tuple[float, str]] = []
    ids = engine.topology.ids
    for alert in alerts:
        where = ids[alert.component] if alert.component is not None else "unmapped"
        glyph = SEVERITY_GLYPHS[alert.severity]
        events.append((alert.starts_at, f"{glyph} start  {alert.alertname} on {where}"))
        if alert.ends_at is not None and not alert.firing:
            events.append((alert.ends_at, f"  end    {alert.alertname} on {where}"))
    events.sort(key=lambda e: e[0])
    return events
