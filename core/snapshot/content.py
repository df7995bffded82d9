"""What goes into a snapshot, as plain JSON-like data (before redaction and packing).

`build_content` runs the replay through the engine up to the analysis time and
keeps what a colleague needs to understand the incident offline:

- the analysis in the `watchfloor analyze` JSON schema, and the reasons behind
  each root cause;
- the alerts of the window (every alert firing at some time in it) with their
  state at the analysis time; and the observations a re-opened snapshot
  replays to rebuild exactly that state (same domain ids too): every one up
  to the analysis time for a snapshot of everything, every one of the
  domain's components for a snapshot of one domain (a fresh engine would
  number its domains afresh: `engine.domain_ids` maps them back);
- the domain timeline and per-minute trends over the window;
- the relevant topology: the alerting components, root causes, blast radius
  and one hop of context, with positions; plus the neighbours of every
  component next to an alerting one, because the engine's bridging and
  ranking read their fan-in (so a re-opened snapshot shows the same domains
  and root causes);
- operator actions on the snapshot's domains, and risk-scored deployments near
  the window when given.

Times are event times: the snapshot's "when" is the analysis time, never the
wall clock, so the same input gives the same snapshot.
"""

from __future__ import annotations

import bisect
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from core.analysis import analyze_records
from core.domain_view import domain_order
from core.engine import Engine, EngineConfig, EngineDelta
from core.graph.layout import layout
from core.graph.loaders import save_node_link
from core.graph.topology import Topology
from core.ingest.fingerprint import alertmanager_fingerprint
from core.model import AlertEvent, Rejected, Severity, Status, format_time, parse_time
from core.operator import OperatorAction
from core.snapshot.redact import Redactor
from core.timeline import Item, Record, timeline

__all__ = ["SnapshotContent", "SnapshotOptions", "build_content", "redact_content"]

DEFAULT_WINDOW = 3600.0
_RISK_TIME_KEYS = ("time", "planned_at", "scheduled_at", "at", "start", "starts_at")
_MAX_BUCKETS = 720
_RAW_LIMIT = 2000

Progress = Callable[[float, str], None]


@dataclass(frozen=True, slots=True)
class SnapshotOptions:
    """What to export: as of when, how far back, everything or one domain."""

    at: float | None = None
    window: float = DEFAULT_WINDOW
    domain: str | None = None
    config: EngineConfig | None = None
    topology_name: str = ""
    replay_name: str = ""
    source_kind: str = "replay"
    operator_actions: tuple[OperatorAction, ...] = ()
    risk_rows: tuple[Mapping[str, Any], ...] | None = None
    positions: Any = None  # (n, 2) array for the full topology; computed when None


@dataclass(slots=True)
class SnapshotContent:
    """Every part of a snapshot as JSON-like data; images and HTML are made from it."""

    when: float
    window_start: float
    window_end: float
    scope: dict[str, Any]
    source: dict[str, Any]
    engine: dict[str, Any]
    analysis: dict[str, Any]
    explanations: dict[str, Any]
    alerts: list[dict[str, Any]]
    observations: list[dict[str, Any]]
    timeline: list[dict[str, Any]]
    trends: dict[str, Any]
    operator: list[dict[str, Any]]
    topology: dict[str, Any]
    risk: list[dict[str, Any]] | None = None
    redaction: list[str] = field(default_factory=list)


def build_content(
    topology: Topology,
    records: list[Record],
    options: SnapshotOptions,
    progress: Progress | None = None,
) -> SnapshotContent:
    """Analyse and select what the snapshot carries (raises ValueError for bad options)."""
    report = progress or _silent
    config = options.config or EngineConfig()
    if not options.window > 0:
        raise ValueError(f"the window must be positive, not {options.window:g} s")
    report(0.05, "Analysing")
    items = timeline(records)
    dated = [t for t, _ in items if t != float("-inf")]
    if options.at is not None:
        when = options.at
    elif dated:
        when = dated[-1]
    else:
        raise ValueError("the replay holds no dated observation: give --at")
    analysis = analyze_records(topology, records, at=when, config=config)
    engine = analysis.engine
    report_json = analysis.to_json()
    start = when - options.window
    domains = analysis.domains
    if options.domain is not None:
        domains = [d for d in domains if d.id == options.domain]
        if not domains:
            raise ValueError(f"no open failure domain {options.domain!r} at {format_time(when)}")
        report_json["domains"] = [d for d in report_json["domains"] if d["id"] == options.domain]
        report_json["unmapped"] = []
        report_json["rejected"] = []
        report_json["summary"]["domains"] = 1

    report(0.25, "Selecting alerts")
    chosen = _chosen_alerts(engine, items, when, start, options.domain, domains)
    replayed = _component_history(engine, chosen)
    alert_components: set[int] = set()
    for fp in replayed:
        node = engine.alerts[fp].component
        if node is not None:
            alert_components.add(node)
    in_time = items[: bisect.bisect_right(items, when, key=lambda pair: pair[0])]
    observations: list[dict[str, Any]] = []
    kept_items: list[tuple[float, Item]] = []
    for time, item in in_time:
        if isinstance(item, AlertEvent):
            # Everything: every observation up to `when`, as the engine's domain ids
            # count every domain opened before; one domain: its components' alerts.
            if options.domain is None or item.fingerprint in replayed:
                observations.append(_observation(item))
                kept_items.append((time, item))
        elif options.domain is None and time >= start:
            observations.append(_rejected(time, item))
            kept_items.append((time, item))
    domain_of = {fp: d.id for d in domains for fp in d.alerts}
    alerts = [
        _alert_row(engine, engine.alerts[fp], domain_of.get(fp))
        for fp in sorted(chosen, key=lambda fp: (engine.alerts[fp].starts_at, fp))
    ]

    names: dict[str, str] = {}
    if options.domain is not None or config.domain_names:
        names = _domain_names(topology, config, in_time, kept_items, when)
    named = replace(config, domain_names=tuple(sorted(names.items())))

    report(0.45, "Domain timeline")
    timeline_rows, trends = _timeline_and_trends(topology, named, kept_items, start, when)

    report(0.6, "Topology")
    keep = _relevant_nodes(topology, alert_components, domains)
    topology_doc = _topology_doc(topology, keep, options.positions)

    # The domains merged into the snapshot's carry their own operator actions.
    domain_ids = {m for d in domains for m in (d.id, *engine.merged_from(d.id))}
    operator = [
        {
            "kind": str(a.kind),
            "domain": a.domain_id,
            "who": a.who,
            "at": format_time(a.at),
            "at_epoch": a.at,
            "text": a.text,
        }
        for a in options.operator_actions
        if a.domain_id in domain_ids or options.domain is None
    ]
    explanations = {
        d.id: [
            {"component": c.component, "explains": c.explains, "reasons": list(c.reasons)}
            for c in d.root_causes
        ]
        for d in domains
    }
    risk = None
    if options.risk_rows is not None:
        risk = _risk_near(options.risk_rows, start - options.window, when + options.window)
    report(0.7, "Collected")
    return SnapshotContent(
        when=when,
        window_start=start,
        window_end=when,
        scope={"domain": options.domain},
        source={
            "kind": options.source_kind,
            "topology": options.topology_name or topology.source,
            "replay": options.replay_name,
        },
        engine={
            "component_labels": list(config.component_labels),
            "bridging": config.bridging,
            "domain_min_severity": config.domain_min_severity.label,
            "directed": topology.directed,
            "domain_ids": names,
        },
        analysis=report_json,
        explanations=explanations,
        alerts=alerts,
        observations=observations,
        timeline=timeline_rows,
        trends=trends,
        operator=operator,
        topology=topology_doc,
        risk=risk,
    )


def redact_content(content: SnapshotContent, redactor: Redactor) -> SnapshotContent:
    """The content with every string redacted and fingerprints recomputed.

    A fingerprint is a hash of the labels and could be matched against
    guessed labels, so an alert whose labels changed gets the Alertmanager
    fingerprint of its redacted labels, everywhere it is named.
    """
    if not redactor.active:
        return content
    redactor.learn(
        [row["labels"] for row in content.alerts]
        + [o["labels"] for o in content.observations if o["type"] == "alert"],
        content.topology.get("nodes", []),
    )
    alerts = redactor.value(content.alerts)
    renamed: dict[str, str] = {}
    for before, row in zip(content.alerts, alerts, strict=True):
        if row["labels"] != before["labels"]:
            renamed[before["fingerprint"]] = alertmanager_fingerprint(row["labels"])
    for row in alerts:
        row["fingerprint"] = renamed.get(row["fingerprint"], row["fingerprint"])

    def fp(value: str) -> str:
        return renamed.get(value, value)

    analysis = redactor.value(content.analysis)
    for domain in analysis["domains"]:
        domain["alerts"] = [fp(v) for v in domain["alerts"]]
    analysis["unmapped"] = [fp(v) for v in analysis["unmapped"]]
    observations = redactor.value(content.observations)
    for row in observations:
        if row["type"] == "alert":
            row["fingerprint"] = fp(row["fingerprint"])
    return replace(
        content,
        scope=redactor.value(content.scope),
        source=redactor.value(content.source),
        engine=redactor.value(content.engine),
        analysis=analysis,
        explanations=redactor.value(content.explanations),
        alerts=alerts,
        observations=observations,
        timeline=redactor.value(content.timeline),
        operator=redactor.value(content.operator),
        topology=redactor.value(content.topology),
        risk=None if content.risk is None else redactor.value(content.risk),
        redaction=redactor.kinds(),
    )


# -- selection -----------------------------------------------------------------------------


def _chosen_alerts(
    engine: Engine,
    items: list[tuple[float, Item]],
    when: float,
    start: float,
    domain: str | None,
    domains: list[Any],
) -> set[str]:
    """Alerts firing at some time in [start, when], with every alert on their components."""
    firing_at_start: set[str] = set()
    touched: set[str] = set()
    status: dict[str, bool] = {}
    for time, item in items:
        if time > when:
            break
        if not isinstance(item, AlertEvent):
            continue
        if time < start:
            status[item.fingerprint] = item.status is Status.FIRING
        else:
            touched.add(item.fingerprint)
    firing_at_start = {fp for fp, firing in status.items() if firing}
    candidates = (firing_at_start | touched) & engine.alerts.keys()
    if domain is not None:
        members = {engine.topology.index[m] for d in domains for m in d.members}
        candidates = {fp for fp in candidates if engine.alerts[fp].component in members}
    return candidates


def _domain_names(
    topology: Topology,
    config: EngineConfig,
    items: list[tuple[float, Item]],
    kept: list[tuple[float, Item]],
    when: float,
) -> dict[str, str]:
    """Fresh id -> original id of every domain the snapshot's observations open.

    An engine replaying only `kept` numbers its domains afresh (D1, D2...).
    Both engines run side by side, time by time; a fresh domain takes the id
    the full replay gives its first member when it opens, or, for the domains
    open at `when`, at `when` (those are the snapshot's domains). Ids stay
    unique: a fresh domain whose original id is taken gets a number no
    original domain used.
    """
    full = Engine(topology, config)  # config may carry names (a re-export): ids as shown
    part = Engine(topology, replace(config, domain_names=()))
    opened: dict[str, str | None] = {}
    position = 0
    k = 0

    def original(fresh: str) -> str | None:
        members = part.domain_members(fresh)
        return full.domain_of(members[0]) if members else None

    while k < len(kept):
        time = kept[k][0]
        end = k
        while end < len(kept) and kept[end][0] == time:
            end += 1
        stop = bisect.bisect_right(items, time, lo=position, key=lambda pair: pair[0])
        full.apply([item for _, item in items[position:stop]])
        delta = part.apply([item for _, item in kept[k:end]])
        position, k = stop, end
        if time != float("-inf"):
            full.advance_to(time)
            _merge(delta, part.advance_to(time))
        for fresh in delta.domains_opened:
            opened[fresh] = original(fresh)
    full.apply([item for _, item in items[position:]])
    full.advance_to(when)
    part.advance_to(when)
    final = {fresh: original(fresh) for fresh in part.domain_ids()}
    wanted = [(fresh, final[fresh]) for fresh in sorted(final, key=domain_order)] + [
        (fresh, target)
        for fresh, target in sorted(opened.items(), key=lambda pair: domain_order(pair[0]))
        if fresh not in final
    ]
    numbers = [domain_order(v)[0] for v in [*opened, *final.values(), *opened.values()] if v]
    spare = max(numbers, default=0)
    names: dict[str, str] = {}
    taken: set[str] = set()
    for fresh, target in wanted:
        if target is None or target in taken:
            spare += 1
            target = f"D{spare}"
        names[fresh] = target
        taken.add(target)
    return names


def _component_history(engine: Engine, listed: set[str]) -> set[str]:
    """`listed` and every other alert on the same components.

    Earlier alerts on a component count for flapping (episodes) in ranking:
    a snapshot of one domain replays them, so it ranks the same.
    """
    components = {engine.alerts[fp].component for fp in listed} - {None}
    replayed = set(listed)
    for fp, alert in engine.alerts.items():
        if alert.component is not None and alert.component in components:
            replayed.add(fp)
    return replayed


def _relevant_nodes(
    topology: Topology, alert_components: set[int], domains: Iterable[Any]
) -> list[int]:
    core: set[int] = set(alert_components)
    index = topology.index
    for domain in domains:
        core.update(index[m] for m in domain.members)
        core.update(index[c.component] for c in domain.root_causes)
        core.update(domain.impact.nodes.tolist())
    keep = set(core)
    for node in core:
        keep.update(topology.neighbours(node))
    # Fan-in of every component next to an alerting one decides bridging and
    # the silent-candidate rule: keep their neighbours too.
    for node in alert_components:
        for near in topology.neighbours(node):
            keep.update(topology.neighbours(near))
    return sorted(keep)


def _topology_doc(topology: Topology, keep: list[int], positions: Any) -> dict[str, Any]:
    """Node-link JSON of the kept nodes (original order), positions included."""
    if positions is None:
        positions = layout(topology)
    kept = set(keep)
    ids = [topology.ids[i] for i in keep]
    attrs: dict[str, dict[str, Any]] = {}
    for i in keep:
        node_attrs = dict(topology.attrs[i])
        node_attrs["x"] = float(positions[i][0])
        node_attrs["y"] = float(positions[i][1])
        attrs[topology.ids[i]] = node_attrs
    edges = [
        (topology.ids[i], topology.ids[j])
        for i in keep
        for j in topology.dependencies[i]
        if j in kept and (topology.directed or i < j)
    ]
    sub = Topology.from_edges(
        ids, edges, attrs=attrs, directed=topology.directed, source=topology.source
    )
    # Written by the project's own node-link writer, so any reader of ours reads it.
    with tempfile.TemporaryDirectory(prefix="watchfloor-snapshot-") as folder:
        path = Path(folder) / "topology.json"
        save_node_link(sub, path)
        doc: dict[str, Any] = json.loads(path.read_bytes())
    return doc


def _risk_near(rows: Iterable[Mapping[str, Any]], start: float, end: float) -> list[dict[str, Any]]:
    """Scored rows whose time lies within [start, end]; rows without a time are kept."""
    kept: list[dict[str, Any]] = []
    for row in rows:
        clean = {str(k): _jsonable(v) for k, v in row.items()}
        when = _row_time(clean)
        if when is None or start <= when <= end:
            kept.append(clean)
    return kept


def _row_time(row: Mapping[str, Any]) -> float | None:
    for key in _RISK_TIME_KEYS:
        value = row.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str) and value.strip():
            try:
                return parse_time(value)
            except ValueError:
                continue
    return None


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else None
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        return _jsonable(item())
    return str(value)


# -- rows ----------------------------------------------------------------------------------


def _observation(event: AlertEvent) -> dict[str, Any]:
    return {
        "type": "alert",
        "fingerprint": event.fingerprint,
        "status": event.status.value,
        "labels": dict(event.labels),
        "annotations": dict(event.annotations),
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "event_time": event.event_time,
        "severity": event.severity.label,
        "generator_url": event.generator_url,
        "origin": event.origin,
    }


def _rejected(time: float, item: Rejected) -> dict[str, Any]:
    return {
        "type": "rejected",
        "time": None if time == float("-inf") else time,
        "where": item.where,
        "reason": item.reason,
        "raw": item.raw[:_RAW_LIMIT],
    }


def _alert_row(engine: Engine, alert: Any, domain: str | None) -> dict[str, Any]:
    component = None if alert.component is None else engine.topology.ids[alert.component]
    return {
        "fingerprint": alert.fingerprint,
        "alertname": alert.alertname,
        "severity": alert.severity.label,
        "status": alert.status.value,
        "component": component,
        "domain": domain,
        "starts_at": format_time(alert.starts_at),
        "ends_at": None if alert.ends_at is None else format_time(alert.ends_at),
        "last_seen": format_time(alert.last_event_time),
        "labels": dict(alert.labels),
        "annotations": dict(alert.annotations),
        "generator_url": alert.generator_url,
        "repeats": alert.repeats,
        "episodes": alert.episodes,
    }


# -- timeline and trends ------------------------------------------------------------------


def _timeline_and_trends(
    topology: Topology,
    config: EngineConfig,
    items: list[tuple[float, Item]],
    start: float,
    end: float,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Domain lifecycle entries in the window, and firing alerts / open domains per bucket."""
    span = max(end - start, 1.0)
    bucket = 60.0
    while span / bucket > _MAX_BUCKETS:
        bucket *= 2
    edges = [start + bucket * k for k in range(int(span // bucket) + 1)]
    if edges[-1] < end:
        edges.append(end)
    series: dict[str, list[int]] = {s.label: [] for s in Severity}
    domains_open: list[int] = []
    arrivals = [0] * len(edges)
    engine = Engine(topology, config)
    rows: list[dict[str, Any]] = []
    sizes: dict[str, tuple[int, str]] = {}

    def take_sample() -> None:
        counts = dict.fromkeys(series, 0)
        for alert in engine.alerts.values():
            if alert.firing:
                counts[alert.severity.label] += 1
        for label, values in series.items():
            values.append(counts[label])
        domains_open.append(len(engine.domain_ids()))

    def note(time: float, delta: EngineDelta) -> None:
        for domain_id in delta.domains_opened:
            sizes[domain_id] = _domain_size(engine, domain_id)
            rows.append(_entry(time, domain_id, "opened", *sizes[domain_id]))
        for domain_id in delta.domains_changed:
            if domain_id in delta.domains_opened or domain_id in delta.domains_closed:
                continue
            now = _domain_size(engine, domain_id)
            if now[0] and sizes.get(domain_id) != now:
                sizes[domain_id] = now
                rows.append(_entry(time, domain_id, "changed", *now))
        for domain_id in delta.domains_closed:
            into = delta.merged_into.get(domain_id)
            entry = _entry(time, domain_id, "merged" if into else "closed", 0, "")
            if into:
                entry["into"] = into
            rows.append(entry)
            sizes.pop(domain_id, None)

    position = 0
    for number, edge in enumerate(edges):
        while position < len(items) and items[position][0] <= edge:
            time = items[position][0]
            batch_end = position
            while batch_end < len(items) and items[batch_end][0] == time:
                batch_end += 1
            delta = engine.apply([item for _, item in items[position:batch_end]])
            if time != float("-inf"):
                _merge(delta, engine.advance_to(time))
            if time > start:
                note(time, delta)
                index = min(len(edges) - 1, int((time - start) // bucket))
                arrivals[index] += batch_end - position
            position = batch_end
        engine.advance_to(edge)
        take_sample()
        if number == 0:
            for domain_id in engine.domain_ids():
                sizes[domain_id] = _domain_size(engine, domain_id)
                rows.append(_entry(start, domain_id, "open at start", *sizes[domain_id]))
    trends = {
        "bucket_seconds": bucket,
        "times": [format_time(t) for t in edges],
        "firing": series,
        "open_domains": domains_open,
        "observations": arrivals,
    }
    return rows, trends


def _merge(into: EngineDelta, later: EngineDelta) -> None:
    into.domains_opened.extend(later.domains_opened)
    into.domains_changed.extend(later.domains_changed)
    into.domains_closed.extend(later.domains_closed)
    into.merged_into.update(later.merged_into)


def _domain_size(engine: Engine, domain_id: str) -> tuple[int, str]:
    members = engine.domain_members(domain_id)
    worst = Severity.INFO
    for node in members:
        for fp in engine.firing_on(node):
            worst = max(worst, engine.alerts[fp].severity)
    return len(members), worst.label if members else ""


def _entry(time: float, domain: str, change: str, size: int, severity: str) -> dict[str, Any]:
    return {
        "at": format_time(time),
        "domain": domain,
        "change": change,
        "size": size,
        "severity": severity,
    }


def _silent(_fraction: float, _text: str) -> None:
    return None


def write_json_bytes(value: Any) -> bytes:
    """Deterministic JSON: sorted keys, two-space indent, UTF-8, final newline."""
    return (json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def atomic_write(path: Path, payload: bytes) -> None:
    """Write `payload` to `path` via a temp file in the same folder and a rename."""
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        Path(temp).chmod(0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
