"""End to end on real inputs: Alertmanager's own payloads, real service and network topologies."""

from __future__ import annotations

from pathlib import Path

import topohub

from core.analysis import analyze_records
from core.engine import Engine
from core.graph.loaders import load_topology
from core.ingest.decode import Decoder
from core.timeline import Record
from tests.builders import event

DATA = Path(__file__).resolve().parents[1] / "data"
GEANT = Path(topohub.__file__).parent / "data" / "sndlib" / "geant.json"


def records_of(paths: list[Path]) -> list[Record]:
    decoder = Decoder()
    records = []
    for line, path in enumerate(paths, start=1):
        events, rejects = decoder.decode(path.read_bytes(), f"{path.name}")
        assert not rejects
        records.append(Record(line, (*events, *rejects)))
    return records


def test_alertmanager_payloads_on_online_boutique_point_at_cartservice() -> None:
    """frontend, checkoutservice and cartservice alert at once; cart is what the others call."""
    topology = load_topology(DATA / "topologies" / "online-boutique" / "edges.csv")
    payloads = sorted((DATA / "alertmanager").glob("webhook_*.json"))
    analysis = analyze_records(topology, records_of(payloads))
    report = analysis.to_json()
    assert report["summary"]["alerts"] == 4 and report["summary"]["rejected"] == 0
    (domain,) = report["domains"]
    assert set(domain["members"]) == {"frontend", "checkoutservice", "cartservice"}
    top = domain["root_causes"][0]
    assert (top["component"], top["alerting"]) == ("cartservice", True)
    assert 0.0 < top["score"] <= 1.0
    assert "loadgenerator" in domain["impacted"]
    # the fingerprints are Alertmanager's own, carried through unchanged
    assert "7d45cb93cf92c364" in domain["alerts"]


def test_train_ticket_topology_with_cycles_forms_one_domain_per_connected_failure() -> None:
    topology = load_topology(DATA / "topologies" / "train-ticket" / "edges.csv")
    engine = Engine(topology)
    order = topology.index["ts-order-service"]
    callers = list(topology.dependents[order])[:3]
    engine.apply([event("ts-order-service", at=100.0)])
    engine.apply([event(topology.ids[c], at=130.0 + i) for i, c in enumerate(callers)])
    (domain,) = engine.domains()
    assert set(domain.members) == {"ts-order-service", *(topology.ids[c] for c in callers)}
    assert domain.root_causes[0].component == "ts-order-service"


def test_topohub_network_mesh_failure_centres_on_the_failed_router() -> None:
    """GEANT (undirected): a router and its neighbours alert; the router fired first."""
    topology = load_topology(GEANT)
    assert not topology.directed and len(topology) > 20
    hub = max(range(len(topology)), key=lambda i: len(topology.dependencies[i]))
    neighbours = topology.dependencies[hub]
    engine = Engine(topology)
    engine.apply([event(topology.ids[hub], at=50.0)])
    engine.apply([event(topology.ids[n], at=90.0 + i) for i, n in enumerate(neighbours)])
    (domain,) = engine.domains()
    assert len(domain.members) == 1 + len(neighbours)
    assert domain.root_causes[0].component == topology.ids[hub]
