"""Small builders shared by the core and console tests: a toy estate and alert events."""

from __future__ import annotations

from core.graph.topology import Topology
from core.ingest.fingerprint import alertmanager_fingerprint
from core.model import AlertEvent, Severity, Status


def estate() -> Topology:
    """web and admin depend on api; api on db; db on disk; batch depends on db too."""
    return Topology.from_edges(
        ["web", "admin", "api", "db", "disk", "batch", "lonely"],
        [("web", "api"), ("admin", "api"), ("api", "db"), ("db", "disk"), ("batch", "db")],
    )


def event(
    component: str,
    *,
    at: float,
    status: Status = Status.FIRING,
    starts: float | None = None,
    ends: float | None = None,
    name: str = "Down",
    severity: Severity = Severity.CRITICAL,
    summary: str | None = None,
    extra: dict[str, str] | None = None,
    label: str = "service",
) -> AlertEvent:
    labels = {"alertname": name, label: component, "severity": severity.label, **(extra or {})}
    return AlertEvent(
        fingerprint=alertmanager_fingerprint(labels),
        status=status,
        labels=labels,
        annotations={"summary": summary if summary is not None else f"{component} {name}"},
        starts_at=at if starts is None else starts,
        ends_at=ends,
        event_time=at,
        severity=severity,
    )
