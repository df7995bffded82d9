"""What the canvas shows, read from the engine: worst status per node, domains, focus.

Pure functions of the engine's state, so the view only stores their results
and draws them (views hold no engine state of their own).
"""

from __future__ import annotations

import time

import numpy as np

from console.domain_views import DomainViews
from core.engine import DomainView, Engine
from core.graph.blast import blast_radius
from core.graph.topology import Topology
from core.model import Severity

DOMAIN_OVERLAYS = 40
"""Domains (worst first) that get a label, hull and bold links; all get halos."""


def node_status(engine: Engine) -> dict[int, Severity]:
    """Alerting node -> worst firing severity on it."""
    status: dict[int, Severity] = {}
    for alert in engine.active_alerts:
        node = alert.component
        if node is not None and engine.is_alerting(node):
            worst = status.get(node)
            if worst is None or alert.severity > worst:
                status[node] = alert.severity
    return status


def update_status(engine: Engine, status: dict[int, Severity], fingerprints: list[str]) -> set[int]:
    """Recompute only the nodes whose alerts changed; returns those nodes."""
    touched: set[int] = set()
    for fingerprint in fingerprints:
        alert = engine.alerts.get(fingerprint)
        if alert is not None and alert.component is not None:
            touched.add(alert.component)
    for node in touched:
        firing = engine.firing_on(node)
        if firing:
            status[node] = max(engine.alerts[fp].severity for fp in firing)
        else:
            status.pop(node, None)
    return touched


def worst_domains(
    engine: Engine,
    status: dict[int, Severity],
    previous: dict[str, DomainView] | None = None,
    deadline: float | None = None,
    builder: DomainViews | None = None,
) -> tuple[list[DomainView], dict[str, list[int]], bool]:
    """Views of the DOMAIN_OVERLAYS worst open domains (engine order), every domain's nodes.

    Domains are grouped from the alerting nodes the canvas already knows;
    only the chosen ones are asked of the engine, because building a view
    (ranking, blast radius) for each of thousands of small domains in a
    large estate cost seconds and they would only get a halo anyway.

    With `builder`, a large domain's view comes from it (built off the GUI
    thread: the newest built, else the `previous` one, until `sig_ready`).
    Past `deadline` (`time.perf_counter`), views the engine would have to
    rebuild are not built: the `previous` view of the domain is kept (a new
    domain gets halos only) and the third value, complete, is False.
    """
    groups: dict[str, list[int]] = {}
    for node in status:
        domain_id = engine.domain_of(node)
        if domain_id is not None:
            groups.setdefault(domain_id, []).append(node)
    chosen = sorted(
        groups,
        key=lambda d: (-max(status[n] for n in groups[d]), -len(groups[d]), d),
    )[:DOMAIN_OVERLAYS]
    views: list[DomainView] = []
    complete = True
    for domain_id in chosen:
        view = engine.cached_domain(domain_id)
        if (
            view is None
            and builder is not None
            and engine.domain_size(domain_id) > builder.sync_members
        ):
            view = builder.view(domain_id) or (previous or {}).get(domain_id)
        elif view is None:
            if deadline is None or time.perf_counter() < deadline:
                view = engine.domain(domain_id)
            else:
                complete = False
                view = (previous or {}).get(domain_id)
        if view is not None:
            views.append(view)
    views.sort(key=lambda v: (-v.severity, -v.size, v.first_seen, v.id))
    return views, groups, complete


def silent_candidates(topology: Topology, domains: list[DomainView]) -> set[int]:
    """Root-cause candidates of the domains that raise no alert themselves."""
    silent: set[int] = set()
    for domain in domains:
        for cause in domain.root_causes:
            if not cause.alerting:
                node = topology.index.get(cause.component)
                if node is not None:
                    silent.add(node)
    return silent


def focus_highlight(
    engine: Engine, topology: Topology, focus: tuple[str, str] | None
) -> tuple[np.ndarray, dict[int, int]]:
    """The focused blast radius (node mask) and the ranks of its domain's root causes."""
    highlight = np.zeros(len(topology), dtype=bool)
    ranks: dict[int, int] = {}
    domain_id: str | None = None
    if focus is not None:
        kind, key = focus
        if kind == "domain":
            domain_id = key
            view = engine.domain(key)
            closed = None if view is not None else engine.closed_domain(key)
            if view is not None:
                highlight[[topology.index[m] for m in view.members]] = True
                highlight[view.impact.nodes] = True
            elif closed is not None:  # listed for a past time range: where it was
                nodes = [topology.index[m] for m in closed.members if m in topology.index]
                highlight[nodes] = True
                highlight[blast_radius(topology, nodes).nodes] = True
                top = closed.root_cause
                if top is not None and top in topology.index:
                    ranks[topology.index[top]] = 1
        else:
            node = topology.index.get(key)
            if node is not None:
                highlight[blast_radius(topology, [node]).nodes] = True
                domain_id = engine.domain_of(node)
    if domain_id is not None:
        view = engine.domain(domain_id)
        if view is not None:
            for rank, cause in enumerate(view.root_causes, start=1):
                node = topology.index.get(cause.component)
                if node is not None:
                    ranks[node] = rank
    return highlight, ranks
