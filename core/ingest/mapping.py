"""Which topology component an alert is about (DESIGN.md 3.2, "Component").

The first label in a configurable list whose value names a topology node wins;
a node is named by its id (as text) or its `name` attribute. `instance` is
Prometheus' scrape target, usually "host:port", so its host part is tried
after the full value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from core.graph.topology import Topology

__all__ = ["DEFAULT_COMPONENT_LABELS", "ComponentMapper", "instance_host"]

DEFAULT_COMPONENT_LABELS: tuple[str, ...] = (
    "component",
    "service",
    "instance",
    "host",
    "node",
    "job",
)


def instance_host(value: str) -> str:
    """The host part of an `instance` value, port stripped.

    "host:9100" -> "host", "10.0.0.1:9100" -> "10.0.0.1",
    "[2001:db8::1]:9100" -> "2001:db8::1", and a bare IPv6 address
    (more than one colon, no brackets) is returned unchanged.
    """
    if value.startswith("["):
        end = value.find("]")
        return value[1:end] if end > 0 else value
    if value.count(":") == 1:
        host, _, port = value.partition(":")
        if host and port.isdigit():
            return host
    return value


class ComponentMapper:
    """Maps an alert's labels to a topology node index, or None (unmapped)."""

    def __init__(
        self, topology: Topology, labels: Sequence[str] = DEFAULT_COMPONENT_LABELS
    ) -> None:
        self.topology = topology
        self.labels = tuple(labels)

    def map(self, labels: Mapping[str, str]) -> int | None:
        """The node the alert is about: first matching label in `self.labels` order."""
        found = self.match(labels)
        return None if found is None else found[0]

    def match(self, labels: Mapping[str, str]) -> tuple[int, str, str] | None:
        """(node index, label name, label value) that matched, for the details view."""
        resolve = self.topology.resolve
        for name in self.labels:
            value = labels.get(name)
            if not value:
                continue
            node = resolve(value)
            if node is None and name == "instance":
                host = instance_host(value)
                if host != value:
                    node = resolve(host)
            if node is not None:
                return node, name, value
        return None
