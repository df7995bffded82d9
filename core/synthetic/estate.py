"""A seeded, layered synthetic estate: the topology the demo and scenarios run on.

Edge (CDN, load balancers, API gateways) -> product services (front/api/worker)
-> data stores (databases with replicas, caches, Kafka, object store) -> hosts
(Kubernetes nodes) -> top-of-rack switches -> aggregation -> core routers, plus
shared infrastructure many things depend on (CoreDNS, identity, config, NTP).

Each dependency edge carries an impact weight: how much of a failure of the
dependency reaches the dependent. Losing one of three replica hosts or one of
two load balancers hurts less than losing the only database, and a gateway
routing to twenty services barely notices one of them failing. Scenarios use
the weights to decide which dependents alert; they are not part of the saved
topology (a real estate does not ship them either).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.graph.topology import Topology

__all__ = ["KIND_TIERS", "Estate", "build_estate"]

KIND_TIERS: dict[str, str] = {
    "cdn": "edge",
    "load_balancer": "edge",
    "gateway": "edge",
    "service": "app",
    "auth": "app",
    "config": "app",
    "database": "data",
    "cache": "data",
    "queue": "data",
    "storage": "data",
    "host": "compute",
    "dns": "network",
    "ntp": "network",
    "switch": "network",
    "router": "network",
    "firewall": "network",
}
"""The fixed kind vocabulary and the tier each kind belongs to."""


@dataclass(frozen=True, slots=True)
class _Area:
    """A product area: its services, stores and who it calls."""

    name: str
    web: bool
    replicas: int  # database replicas; -1 for no database
    cache: str | None
    calls: tuple[str, ...] = ()
    worker_calls: tuple[str, ...] = ()
    objstore: bool = False


_AREAS: tuple[_Area, ...] = (
    _Area("catalog", True, 2, "cache-catalog", (), (), True),
    _Area("search", True, 1, None, ("catalog",)),
    _Area("cart", True, -1, "cache-cart", ("catalog", "inventory", "promotions")),
    _Area(
        "checkout",
        True,
        1,
        None,
        ("cart", "payments", "inventory", "orders", "shipping", "accounts", "pricing"),
    ),
    _Area("payments", False, 2, None, ("fraud",), ("notifications",)),
    _Area("orders", True, 2, None, ("inventory", "payments", "shipping"), ("notifications",)),
    _Area("accounts", True, 1, "cache-sessions"),
    _Area("inventory", False, 1, "cache-inventory"),
    _Area("shipping", False, 1, None, (), (), True),
    _Area("notifications", False, -1, None, (), ("accounts",)),
    _Area("recommendations", False, -1, "cache-recs", ("catalog",)),
    _Area("reviews", True, 1, None, ("accounts", "catalog"), (), True),
    _Area("pricing", False, 1, "cache-pricing"),
    _Area("promotions", False, 1, None, ("pricing",)),
    _Area("fraud", False, 1, None, ("accounts",)),
    _Area("media", False, -1, None, (), (), True),
)


@dataclass
class Estate:
    """Nodes (id -> attributes, in creation order) and weighted dependency edges."""

    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: list[tuple[str, str, float]] = field(default_factory=list)

    def add(self, node_id: str, kind: str, **attrs: Any) -> str:
        """Add a component; its tier follows from its kind."""
        self.nodes[node_id] = {"name": node_id, "kind": kind, "tier": KIND_TIERS[kind], **attrs}
        return node_id

    def depends(self, dependent: str, dependency: str, weight: float = 1.0) -> None:
        """Record `dependent depends_on dependency` with an impact weight in (0, 1]."""
        self.edges.append((dependent, dependency, round(weight, 3)))

    def of_kind(self, kind: str) -> list[str]:
        return [n for n, a in self.nodes.items() if a["kind"] == kind]

    def topology(self) -> Topology:
        """The indexed topology (node order = creation order)."""
        return Topology.from_edges(
            list(self.nodes),
            [(a, b) for a, b, _ in self.edges],
            attrs=self.nodes,
            source="synthetic estate",
        )

    def impact_weights(self, topology: Topology) -> dict[tuple[int, int], float]:
        """(dependency index, dependent index) -> impact weight, for `topology`."""
        index = topology.index
        return {(index[b], index[a]): w for a, b, w in self.edges}

    def node_link(self) -> dict[str, Any]:
        """networkx node-link JSON (directed, `edges`), deterministic order."""
        return {
            "directed": True,
            "multigraph": False,
            "graph": {"name": "watchfloor demo estate", "relation": "depends_on"},
            "nodes": [{"id": n, **a} for n, a in self.nodes.items()],
            "edges": [
                {"source": a, "target": b, "relation": "depends_on"} for a, b, _ in self.edges
            ],
        }


class _Placer:
    """Spreads workloads over hosts: replicas in distinct racks, least-loaded first."""

    def __init__(self, rng: random.Random, racks: dict[str, list[str]]) -> None:
        self._rng = rng
        self._racks = racks
        self._load = {h: 0 for hosts in racks.values() for h in hosts}

    def place(self, count: int, avoid: set[str] | None = None) -> list[str]:
        racks = [r for r in self._racks if not avoid or r not in avoid]
        chosen = self._rng.sample(racks, min(count, len(racks)))
        hosts = []
        for rack in chosen:
            candidates = self._racks[rack]
            least = min(self._load[h] for h in candidates)
            host = self._rng.choice([h for h in candidates if self._load[h] == least])
            self._load[host] += 1
            hosts.append(host)
        return hosts


def build_estate(seed: int, *, racks: int = 20, hosts_per_rack: int = 10) -> Estate:
    """Generate the estate (about 330 components with the defaults)."""
    rng = random.Random(seed)
    e = Estate()
    net = {"team": "netops"}

    # Network: two core routers, edge firewalls, two aggregation switches per
    # zone, a top-of-rack switch per rack; hosts hang off their ToR.
    cores = [e.add(f"core-rtr-{i}", "router", **net) for i in (1, 2)]
    for i in (1, 2):
        fw = e.add(f"fw-edge-{i}", "firewall", **net)
        for core in cores:
            e.depends(fw, core, 0.5)
    zones = ("z1", "z2")
    aggs: dict[str, list[str]] = {}
    for zone in zones:
        aggs[zone] = [e.add(f"agg-{zone}-{s}", "switch", zone=zone, **net) for s in "ab"]
        for agg in aggs[zone]:
            for core in cores:
                e.depends(agg, core, 0.5)
    for i in (1, 2):
        ntp = e.add(f"ntp-{i}", "ntp", team="platform")
        for core in cores:
            e.depends(ntp, core, 0.5)
    rack_hosts: dict[str, list[str]] = {}
    for r in range(1, racks + 1):
        rack = f"r{r:02d}"
        zone = zones[(r - 1) % len(zones)]
        tor = e.add(f"tor-{rack}", "switch", zone=zone, rack=rack, **net)
        for agg in aggs[zone]:
            e.depends(tor, agg, 0.5)
        rack_hosts[rack] = []
        for h in range(1, hosts_per_rack + 1):
            host = e.add(f"node-{rack}-{h:02d}", "host", zone=zone, rack=rack, team="platform")
            e.depends(host, tor)
            e.depends(host, f"ntp-{1 + (r + h) % 2}", 0.15)
            rack_hosts[rack].append(host)
    placer = _Placer(rng, rack_hosts)

    def run_on(node: str, replicas: int) -> None:
        for host in placer.place(replicas):
            e.depends(node, host, 1.0 / replicas)

    # Shared infrastructure.
    dns = e.add("coredns", "dns", team="platform", namespace="kube-system")
    run_on(dns, 3)
    brokers = [e.add(f"kafka-broker-{i}", "queue", team="platform") for i in (1, 2, 3)]
    for broker in brokers:
        run_on(broker, 1)
    objstore = e.add("objstore-s3-gw", "storage", team="platform")
    run_on(objstore, 2)
    auth_db = _database(e, "auth", 1, "identity", run_on)
    tokens = e.add("cache-auth-tokens", "cache", team="identity")
    run_on(tokens, 1)
    auth = e.add("auth-idp", "auth", team="identity", namespace="identity")
    run_on(auth, 3)
    for dep, w in ((auth_db, 1.0), (tokens, 0.7), (dns, 1.0)):
        e.depends(auth, dep, w)
    sessions = e.add("cache-sessions", "cache", team="team-accounts")
    run_on(sessions, 1)
    config_db = _database(e, "config", 0, "platform", run_on)
    config = e.add("config-service", "config", team="platform", namespace="platform")
    run_on(config, 2)
    e.depends(config, config_db)
    e.depends(config, dns)

    # Product areas: front (web), api, worker; their stores.
    apis: dict[str, str] = {}
    for area in _AREAS:
        team = f"team-{area.name}"
        common = {"team": team, "area": area.name, "namespace": area.name}
        api = e.add(f"{area.name}-api", "service", role="api", **common)
        apis[area.name] = api
        worker = e.add(f"{area.name}-worker", "service", role="worker", **common)
        if area.web:
            web = e.add(f"{area.name}-web", "service", role="front", **common)
            run_on(web, 2)
            e.depends(web, api)
            e.depends(web, auth, 0.8)
            e.depends(web, dns)
            e.depends(web, config, 0.3)
            if area.name in ("accounts", "cart", "checkout"):
                e.depends(web, "cache-sessions", 0.6)
        run_on(api, 3)
        run_on(worker, 2)
        for svc in (api, worker):
            e.depends(svc, dns)
            e.depends(svc, config, 0.3)
        e.depends(api, auth, 0.8)
        if area.replicas >= 0:
            db = _database(e, area.name, area.replicas, team, run_on)
            e.depends(api, db)
            e.depends(worker, db)
        if area.cache:
            if area.cache not in e.nodes:
                e.add(area.cache, "cache", team=team)
                run_on(area.cache, 1)
            e.depends(api, area.cache, 1.0 if area.replicas < 0 else 0.7)
        for broker in brokers:
            e.depends(worker, broker, 1 / 3)
            if area.worker_calls or area.name in ("orders", "payments", "catalog"):
                e.depends(api, broker, 0.2)
        if area.objstore:
            e.depends(worker, objstore, 0.8)
    for area in _AREAS:
        for callee in area.calls:
            e.depends(apis[area.name], apis[callee], 0.8)
        for callee in area.worker_calls:
            e.depends(f"{area.name}-worker", apis[callee], 0.8)
    for front in ("catalog-web", "search-web"):
        e.depends(front, "recommendations-api", 0.4)
    e.depends("catalog-web", "reviews-api", 0.5)
    e.depends("media-api", objstore)

    # Edge: gateways route to the fronts and public APIs; a single backend
    # failing moves a gateway's overall error ratio only a little.
    fronts = [n for n, a in e.nodes.items() if a.get("role") == "front"]
    public = [apis[a] for a in ("catalog", "search", "accounts", "orders", "media")]
    gateways = [e.add(f"api-gw-{i}", "gateway", team="edge", namespace="edge") for i in (1, 2)]
    for gw in gateways:
        run_on(gw, 2)
        for svc in fronts + public:
            e.depends(gw, svc, 0.3)
        e.depends(gw, auth, 0.8)
        e.depends(gw, dns)
    lbs = [e.add(f"lb-ext-{i}", "load_balancer", team="edge") for i in (1, 2)]
    for lb in lbs:
        run_on(lb, 1)
        for gw in gateways:
            e.depends(lb, gw, 0.5)
        for fw in ("fw-edge-1", "fw-edge-2"):
            e.depends(lb, fw, 0.5)
    cdn = e.add("cdn-edge", "cdn", team="edge")
    for lb in lbs:
        e.depends(cdn, lb, 0.5)
    e.depends(cdn, objstore, 0.3)
    return e


def _database(
    e: Estate, area: str, replicas: int, team: str, run_on: Callable[[str, int], None]
) -> str:
    """A Postgres primary and its streaming replicas, each on its own host."""
    primary = e.add(f"{area}-db-primary", "database", role="primary", team=team)
    run_on(primary, 1)
    for i in range(1, replicas + 1):
        replica = e.add(f"{area}-db-replica-{i}", "database", role="replica", team=team)
        run_on(replica, 1)
        e.depends(replica, primary)
    return primary
