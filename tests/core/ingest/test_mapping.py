"""ComponentMapper: which topology node an alert's labels name."""

from __future__ import annotations

import pytest

from core.graph.topology import Topology
from core.ingest.mapping import DEFAULT_COMPONENT_LABELS, ComponentMapper, instance_host


@pytest.fixture
def topology() -> Topology:
    return Topology.from_edges(
        ["frontend", "cart", "db-1", "10.0.0.1", "2001:db8::1", "n42", "node-exporter"],
        [("frontend", "cart"), ("cart", "db-1")],
        attrs={"n42": {"name": "core-switch-1"}, "cart": {"name": "cartservice"}},
    )


def idx(topology: Topology, node_id: str) -> int:
    return topology.index[node_id]


def test_default_label_order() -> None:
    assert DEFAULT_COMPONENT_LABELS == ("component", "service", "instance", "host", "node", "job")


@pytest.mark.parametrize(
    ("value", "host"),
    [
        ("host:9100", "host"),
        ("10.0.0.1:9100", "10.0.0.1"),
        ("[2001:db8::1]:9100", "2001:db8::1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("2001:db8::1", "2001:db8::1"),
        ("plain", "plain"),
        ("host:http", "host:http"),
    ],
)
def test_instance_host(value: str, host: str) -> None:
    assert instance_host(value) == host


@pytest.mark.parametrize(
    ("instance", "node"),
    [
        ("db-1:9100", "db-1"),
        ("10.0.0.1:9100", "10.0.0.1"),
        ("[2001:db8::1]:9100", "2001:db8::1"),
        ("2001:db8::1", "2001:db8::1"),
        ("db-1", "db-1"),
    ],
)
def test_instance_port_is_stripped(topology: Topology, instance: str, node: str) -> None:
    mapper = ComponentMapper(topology)
    assert mapper.map({"alertname": "Down", "instance": instance}) == idx(topology, node)


def test_instance_full_value_is_tried_first() -> None:
    topo = Topology.from_edges(["web:8080", "web"], [])
    assert ComponentMapper(topo).map({"instance": "web:8080"}) == topo.index["web:8080"]


def test_name_attribute_matches(topology: Topology) -> None:
    mapper = ComponentMapper(topology)
    assert mapper.map({"host": "core-switch-1"}) == idx(topology, "n42")
    assert mapper.map({"service": "cartservice"}) == idx(topology, "cart")


def test_label_priority(topology: Topology) -> None:
    mapper = ComponentMapper(topology)
    labels = {"job": "node-exporter", "instance": "db-1:9100", "service": "frontend"}
    assert mapper.match(labels) == (idx(topology, "frontend"), "service", "frontend")
    del labels["service"]
    assert mapper.match(labels) == (idx(topology, "db-1"), "instance", "db-1:9100")
    del labels["instance"]
    assert mapper.match(labels) == (idx(topology, "node-exporter"), "job", "node-exporter")


def test_a_label_that_names_nothing_falls_through(topology: Topology) -> None:
    mapper = ComponentMapper(topology)
    assert mapper.map({"service": "unknown", "instance": "cart:7070"}) == idx(topology, "cart")


def test_unmapped(topology: Topology) -> None:
    mapper = ComponentMapper(topology)
    assert mapper.map({"alertname": "X", "service": "nope", "instance": "nope:1"}) is None
    assert mapper.match({}) is None


def test_configurable_label_list(topology: Topology) -> None:
    mapper = ComponentMapper(topology, labels=["device", "service"])
    assert mapper.map({"device": "core-switch-1", "service": "frontend"}) == idx(topology, "n42")
    # `instance` is not in the list, so it is not consulted
    assert mapper.map({"instance": "db-1:9100"}) is None


def test_port_is_stripped_only_for_instance(topology: Topology) -> None:
    assert ComponentMapper(topology).map({"host": "db-1:9100"}) is None


def test_numeric_ids_match_as_text() -> None:
    topo = Topology.from_edges([1, 2], [(1, 2)])  # type: ignore[list-item]
    assert ComponentMapper(topo).map({"node": "2"}) == topo.index["2"]
