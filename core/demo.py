"""Generate the bundled demo: an estate, one hour of alerts, a deployment history.

`python -m core.demo --out resources/demo [--seed N]` (what `make demo-data`
runs) writes topology.json, alerts.ndjson.gz, deployments.csv, planned.csv and
a README naming every incident's true root cause, so an operator can check the
analysis. Same seed, byte-identical files: no wall clock, fixed gzip header.
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from core.graph.topology import Topology
from core.synthetic.alerts import (
    AlertSpec,
    Impact,
    deliver,
    go_json,
    make_alert,
    propagate,
    root_alert,
    symptom_alert,
)
from core.synthetic.deployments import write_deployments
from core.synthetic.estate import Estate, build_estate

__all__ = ["ALERT_HOUR", "DEFAULT_SEED", "DemoIncident", "DemoSummary", "generate_demo", "main"]

DEFAULT_SEED = 1126
ALERT_HOUR = datetime(2026, 11, 26, 2, 0, tzinfo=UTC).timestamp()
"""Start of the recorded hour (02:00 UTC: a night shift)."""


@dataclass(frozen=True, slots=True)
class DemoIncident:
    """One incident in the demo alert hour, with its true root cause."""

    title: str
    root: str
    root_alerting: bool
    start: float
    end: float
    members: tuple[str, ...]
    notes: str


@dataclass
class DemoSummary:
    """What was generated: files with sizes, counts, the incidents and the bad lines."""

    files: dict[str, int] = field(default_factory=dict)
    components: int = 0
    edges: int = 0
    records: int = 0
    alerts: int = 0
    incidents: list[DemoIncident] = field(default_factory=list)
    malformed_lines: list[int] = field(default_factory=list)
    unmapped: int = 0
    deployments: int = 0
    failure_rate: float = 0.0
    planned: int = 0


def generate_demo(out: str | Path, seed: int = DEFAULT_SEED, *, small: bool = False) -> DemoSummary:
    """Write the demo files into `out` (created if needed) and describe them.

    `small` builds a smaller estate and history (for tests); the default is
    what ships in resources/demo.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    estate = build_estate(seed, racks=8 if small else 20)
    topology = estate.topology()
    summary = DemoSummary(components=len(topology), edges=topology.edge_count)
    _save_topology(topology, out / "topology.json")

    hour = _AlertHour(estate, topology, rng)
    hour.build()
    records = deliver(hour.alerts, ALERT_HOUR + 3600.0, bare_every=12)
    lines = [r.line for r in records]
    malformed = _insert_malformed(lines, rng)
    body = ("\n".join(lines) + "\n").encode()
    _atomic_write(out / "alerts.ndjson.gz", gzip.compress(body, compresslevel=9, mtime=0))
    summary.records = len(lines)
    summary.alerts = len({a.fingerprint for a in hour.alerts})
    summary.incidents = hour.incidents
    summary.malformed_lines = malformed
    summary.unmapped = hour.unmapped

    history = write_deployments(
        topology,
        out / "deployments.csv",
        out / "planned.csv",
        random.Random(seed + 1),
        end=ALERT_HOUR - 3600.0,
        rows=600 if small else 5000,
        planned_from=ALERT_HOUR + 3600.0,
        write=_atomic_write,
    )
    summary.deployments, summary.failure_rate, summary.planned = history
    _atomic_write(out / "README.md", _readme(summary, seed).encode())
    for name in (
        "topology.json",
        "alerts.ndjson.gz",
        "deployments.csv",
        "planned.csv",
        "README.md",
    ):
        summary.files[name] = (out / name).stat().st_size
    return summary


class _AlertHour:
    """Five overlapping incidents plus the everyday background of a NOC hour."""

    def __init__(self, estate: Estate, topology: Topology, rng: random.Random) -> None:
        self.estate = estate
        self.topology = topology
        self.weights = estate.impact_weights(topology)
        self.rng = rng
        self.alerts: list[AlertSpec] = []
        self.incidents: list[DemoIncident] = []
        self.reached: set[int] = set()
        self.unmapped = 0

    def _at(self, minutes: float) -> float:
        return ALERT_HOUR + minutes * 60.0

    def build(self) -> None:
        self.database_failover()
        self.silent_tor()
        self.bad_deploy()
        self.dns_degradation()
        self.eviction_storm()
        self.flapping()
        self.background()
        self.unmapped_alerts()
        self.hostile_text()

    def _incident(
        self,
        title: str,
        root: str,
        start: float,
        end: float,
        notes: str,
        *,
        root_alerting: bool = True,
        strength: float = 1.0,
        root_specs: Sequence[AlertSpec] = (),
        sure: float = 0.5,
    ) -> list[AlertSpec]:
        """Spread a fault from `root`, alert on the components that notice, resolve at `end`.

        Components hit at least `sure` hard always alert (a hard-down database
        pages every direct consumer); weaker hits alert by chance.
        """
        topo, rng = self.topology, self.rng
        n = len(self.incidents)
        node = topo.index[root]
        impacts = propagate(topo, node, start, rng, self.weights, strength=strength)
        specs: list[AlertSpec] = list(root_specs)
        members = {root} if root_alerting else set()
        direct = sorted(
            (i for i in impacts if i.hops == 1), key=lambda i: (-i.strength, i.at, i.node)
        )
        forced = {i.node for i in direct[:2]} if not root_alerting else set()
        for imp in impacts[1:]:
            self.reached.add(imp.node)
            chance = rng.random()
            if imp.node in forced or imp.strength >= sure or chance < imp.strength:
                at = imp.at + rng.uniform(20.0, 90.0)
                specs.extend(symptom_alert(topo, imp, at, rng, incident=n))
                members.add(topo.ids[imp.node])
        self.reached.add(node)
        for spec in specs:
            # Recovery runs the other way round: the root first, the far edge last.
            hops = _hops(impacts, spec.component, topo)
            spec.ends_at = round(end + hops * rng.uniform(20.0, 60.0) + rng.uniform(0, 30), 3)
            spec.incident = n
        self.alerts.extend(specs)
        self.incidents.append(
            DemoIncident(title, root, root_alerting, start, end, tuple(sorted(members)), notes)
        )
        return specs

    def database_failover(self) -> None:
        start = self._at(6)
        root = "orders-db-primary"
        specs = root_alert(self.topology, self.topology.index[root], start + 25.0, self.rng)
        self._incident(
            "Orders database primary down",
            root,
            start,
            self._at(31),
            "PostgresDown on the primary first, then replication lag on its replicas and "
            "errors on orders-api/worker and the services calling them.",
            root_specs=specs,
        )

    def silent_tor(self) -> None:
        # The rack whose switch takes down the most workloads, where nothing it
        # hurts borders on an earlier incident: the domains stay apart.
        blocked = self._blocked()
        # (In a small estate every rack may touch one: then the least overlap.)
        best: tuple[int, int, str] | None = None
        for tor in self.estate.of_kind("switch"):
            if not tor.startswith("tor-"):
                continue
            reach = self._reach(tor)
            key = (-len(reach & blocked), len(reach), tor)
            if best is None or key[:2] > best[:2]:
                best = key
        assert best is not None
        self._incident(
            f"Top-of-rack switch {best[2]} failed (silent)",
            best[2],
            self._at(14),
            self._at(41),
            "The switch itself has no alert (its SNMP target sits behind it). Every host in "
            "the rack goes NotReady; pods on them crash-loop and their services degrade.",
            root_alerting=False,
        )

    def bad_deploy(self) -> None:
        blocked = self._blocked()
        preferred = ("search-api", "reviews-api", "catalog-api", "pricing-api", "media-api")
        root = next((r for r in preferred if not self._reach(r) & blocked), preferred[0])
        start = self._at(22)
        rng = self.rng
        note = {"description": f"Error ratio jumped right after rollout of {root} v2.41.0."}
        specs = root_alert(self.topology, self.topology.index[root], start + 40.0, rng)
        specs[0].annotations.update(note)
        crash = make_alert(
            {
                **specs[0].labels,
                "alertname": "PodCrashLooping",
                "pod": f"{root}-7c9d4f6b8-x2kqp",
                "container": root,
            },
            start + 75.0,
            rng,
            name=root,
            component=root,
        )
        self._incident(
            f"Bad deploy of {root} v2.41.0",
            root,
            start,
            self._at(36),
            f"HighErrorRate and crash-looping pods on {root} right after its rollout; "
            "its callers follow. Rolled back at the end.",
            root_specs=[*specs, crash],
        )

    def dns_degradation(self) -> None:
        root = "coredns"
        start = self._at(33)
        rng = self.rng
        specs = root_alert(self.topology, self.topology.index[root], start, rng)
        for spec in specs:
            spec.labels["severity"] = "warning"
            # The resolver's own alert needs 5 minutes of SERVFAILs (`for: 5m`)
            # and is posted by a lagging Prometheus: it lands after the symptoms.
            spec.starts_at = round(start + 300.0, 3)
            spec.channel = "api"
            spec.delay = 150.0
        self._incident(
            "CoreDNS degradation (broad symptoms)",
            root,
            start,
            self._at(52),
            "Partial SERVFAILs: latency and errors spread across many services before the "
            "resolver's own alert (`for: 5m`, posted by a lagging Prometheus) arrives.",
            strength=0.62,
            root_specs=specs,
        )

    def eviction_storm(self) -> None:
        root = "cache-sessions"
        start = self._at(40)
        specs = root_alert(self.topology, self.topology.index[root], start + 30.0, self.rng)
        for spec in specs:
            spec.labels.update(alertname="RedisEvictionsHigh", severity="warning")
        specs = [
            make_alert(s.labels, s.starts_at, self.rng, name=root, component=root) for s in specs
        ]
        self._incident(
            "Session cache eviction storm",
            root,
            start,
            self._at(55),
            "cache-sessions hits maxmemory and evicts sessions: latency on accounts and the "
            "fronts that keep sessions there.",
            root_specs=specs,
            sure=0.4,
        )

    def _reach(self, root: str) -> set[int]:
        """What a fault at `root` would clearly hurt (a dry run with its own dice)."""
        impacts = propagate(
            self.topology, self.topology.index[root], 0.0, random.Random(0), self.weights
        )
        return {i.node for i in impacts if i.strength >= 0.25}

    def _blocked(self) -> set[int]:
        """Components an earlier incident reached, and the neighbours of its alerting ones."""
        blocked = set(self.reached)
        for inc in self.incidents:
            for member in inc.members:
                blocked |= self.topology.neighbours(self.topology.index[member])
        return blocked

    def _quiet_nodes(self) -> list[int]:
        """Components no incident reached nor borders on."""
        blocked = self._blocked()
        return [i for i in range(len(self.topology)) if i not in blocked]

    def flapping(self) -> None:
        topo, rng = self.topology, self.rng
        quiet = [i for i in self._quiet_nodes() if topo.component(i).kind == "queue"]
        quiet = quiet or self._quiet_nodes()
        node = quiet[0]
        template = make_alert(
            {
                "alertname": "KafkaUnderReplicatedPartitions",
                "severity": "warning",
                "cluster": "prod-eu-1",
                "env": "prod",
                "team": "platform",
                "instance": f"{topo.ids[node]}:9308",
                "job": "kafka-exporter",
            },
            ALERT_HOUR,
            rng,
            name=topo.ids[node],
            component=topo.ids[node],
        )
        t = ALERT_HOUR + rng.uniform(60.0, 240.0)
        while t < ALERT_HOUR + 3300.0:
            end = t + rng.uniform(90.0, 200.0)
            self.alerts.append(_copy(template, t, end))
            t = end + rng.uniform(120.0, 300.0)
        self.reached.add(node)

    def background(self) -> None:
        from core.synthetic.alerts import NOISE_ALERTNAMES, alert_spec

        topo, rng = self.topology, self.rng
        quiet = self._quiet_nodes()
        for k, node in enumerate(rng.sample(quiet, min(28, len(quiet)))):
            kind = topo.component(node).kind
            names = NOISE_ALERTNAMES.get(kind, ("CertificateExpiringSoon",))
            start = ALERT_HOUR + rng.uniform(10.0, 3300.0)
            severity = rng.choice(("warning", "warning", "info"))
            spec = alert_spec(topo, node, rng.choice(names), severity, start, rng)
            if rng.random() < 0.7:
                spec.ends_at = round(min(start + rng.uniform(180.0, 1500.0), ALERT_HOUR + 3590), 3)
            # Most alerts come through Alertmanager; some Prometheus posts
            # directly, and a few come from a periodic dump of the v2 API.
            spec.channel = (
                "webhook",
                "webhook",
                "webhook",
                "api",
                "webhook",
                "webhook",
                "api-bare",
            )[k % 7]
            self.alerts.append(spec)

    def unmapped_alerts(self) -> None:
        rng = self.rng
        specs = [
            ({"service": "legacy-billing-batch", "job": "blackbox-legacy"}, "TargetDown"),
            ({"instance": "10.31.7.22:9100", "job": "node-exporter"}, "DiskPressure"),
            (
                {"instance": "vpn.partner-gw.example.org:443", "job": "blackbox"},
                "CertificateExpiringSoon",
            ),
        ]
        for extra, alertname in specs:
            labels = {
                "alertname": alertname,
                "severity": "warning",
                "cluster": "prod-eu-1",
                "env": "prod",
                **extra,
            }
            start = ALERT_HOUR + rng.uniform(60.0, 2400.0)
            name = extra.get("service") or extra["instance"]
            self.alerts.append(make_alert(labels, start, rng, name=name))
            self.unmapped += 1

    def hostile_text(self) -> None:
        """Two alerts whose text carries HTML: consoles must show it as text."""
        rng = self.rng
        quiet = [i for i in self._quiet_nodes() if self.topology.component(i).kind == "host"]
        node = quiet[-1]
        host = self.topology.ids[node]
        cert = make_alert(
            {
                "alertname": "CertificateExpiringSoon",
                "severity": "info",
                "cluster": "prod-eu-1",
                "env": "prod",
                "instance": f"{host}:9100",
                "job": "node-exporter",
            },
            ALERT_HOUR + 1500.0,
            rng,
            name=host,
            component=host,
            annotations={"summary": "Certificate CN=<script>alert(1)</script> expires in 6 days"},
        )
        latency = make_alert(
            {
                "alertname": "HighLatencyP99",
                "severity": "warning",
                "cluster": "prod-eu-1",
                "env": "prod",
                "service": "reviews-web",
                "namespace": "reviews",
                "job": "kubernetes-pods",
                "team": "team-reviews",
            },
            ALERT_HOUR + 2700.0,
            rng,
            name="reviews-web",
            component="reviews-web",
            annotations={
                "description": 'Slowest route: /reviews?q="><img src=x onerror=alert(1)> '
                "(p99 4.2s)."
            },
        )
        latency.ends_at = ALERT_HOUR + 3100.0
        self.alerts.extend([cert, latency])


def _copy(template: AlertSpec, start: float, end: float) -> AlertSpec:
    from dataclasses import replace

    return replace(template, starts_at=round(start, 3), ends_at=round(end, 3))


def _hops(impacts: list[Impact], component: str | None, topo: Topology) -> int:
    if component is None:
        return 0
    node = topo.index[component]
    return next((i.hops for i in impacts if i.node == node), 0)


def _insert_malformed(lines: list[str], rng: random.Random) -> list[int]:
    """Put four broken records among the good ones; return their 1-based line numbers."""
    truncated = lines[len(lines) // 5][:173]
    no_labels = go_json(
        {
            "ts": round((ALERT_HOUR + 1800.0) * 1000),
            "topic": "prometheus-alerts",
            "partition": 1,
            "offset": 999_999,
            "key": "{}:{}",
            "headers": [],
            "value": [
                {
                    "annotations": {"summary": "alert without labels"},
                    "startsAt": "2026-11-26T02:30:00Z",
                    "endsAt": "2026-11-26T02:34:00Z",
                }
            ],
        }
    )
    bad_time = go_json(
        [
            {
                "labels": {
                    "alertname": "HighErrorRate",
                    "service": "cart-api",
                    "severity": "major",
                },
                "annotations": {"summary": "cart-api errors"},
                "startsAt": "2026-11-26T25:61:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
            }
        ]
    )
    log_line = 'level=error ts=2026-11-26T02:47:12Z msg="webhook forwarder: broken pipe"'
    bad = [truncated, no_labels, bad_time, log_line]
    positions = sorted(rng.sample(range(10, len(lines) - 10), len(bad)))
    numbers = []
    for offset, (pos, line) in enumerate(zip(positions, bad, strict=True)):
        lines.insert(pos + offset, line)
        numbers.append(pos + offset + 1)
    return numbers


def _atomic_write(path: Path, data: bytes) -> None:
    """Write all of `data` or nothing (temp file in the same folder + rename)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        Path(tmp).chmod(0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _save_topology(topology: Topology, path: Path) -> None:
    from core.graph.loaders import save_node_link

    save_node_link(topology, path)


def _clock(t: float) -> str:
    return datetime.fromtimestamp(t, tz=UTC).strftime("%H:%M:%S")


def _readme(summary: DemoSummary, seed: int) -> str:
    """The folder's README: what each file is and the truth about the alert hour."""
    day = datetime.fromtimestamp(ALERT_HOUR, tz=UTC).strftime("%Y-%m-%d")
    rows = []
    for n, inc in enumerate(summary.incidents, 1):
        root = f"`{inc.root}`" + ("" if inc.root_alerting else " (silent: raises no alert)")
        rows.append(
            f"| {n} | {inc.title} | {root} | {_clock(inc.start)} | {_clock(inc.end)} "
            f"| {len(inc.members)} | {inc.notes} |"
        )
    members = "\n".join(
        f"{n}. {', '.join(f'`{m}`' for m in inc.members)}"
        for n, inc in enumerate(summary.incidents, 1)
    )
    malformed = ", ".join(str(n) for n in summary.malformed_lines)
    return f"""# Bundled demo data (synthetic)

Everything here is **synthetic**: generated by `core/demo.py` with seed {seed}
(`make demo-data` runs `python -m core.demo --out resources/demo`). The same
seed gives byte-identical files; `tests/core/test_demo.py` checks that these
files equal a fresh generation. Do not edit them by hand: change the generator
and regenerate.

- `topology.json`: networkx node-link JSON (directed, `edges`) of
  {summary.components} components and {summary.edges} `depends_on` edges; an
  edge `A -> B` means A depends on B. Nodes carry `name`, `kind`, `tier` and
  details (team, rack, zone, role).
- `alerts.ndjson.gz`: one hour of recorded alerts ({day} 02:00-03:00 UTC),
  {summary.records} NDJSON lines, {summary.alerts} distinct alerts. Mostly
  Kafka envelopes (`ts`, `topic`, `partition`, `offset`, `key`, `headers`,
  `value`) around Alertmanager webhook payloads; some bare webhook payloads
  (shape 1) and API v2 alert objects (shape 2), enveloped or bare.
- `deployments.csv`: {summary.deployments} past deployments over the 90 days
  before the alert hour, with the outcome `failed`
  ({summary.failure_rate:.1%} failed).
- `planned.csv`: {summary.planned} planned deployments after the alert hour
  (same columns, no outcome), to score for risk.

## The alert hour: incidents and their true root causes

Times are UTC on {day}. Members are the components that alert because of the incident.

| # | incident | true root cause | fault | repaired | alerting components | what you see |
|---|---|---|---|---|---|---|
{chr(10).join(rows)}

Alerting components per incident:

{members}

Incidents 4 and 5 overlap in time with each other and with the tail of 2 and 3,
and the CoreDNS incident touches components of the others: expect an analysis
at 02:45 to show several domains at once.

Also in the stream, on purpose:

- A flapping alert (`KafkaUnderReplicatedPartitions`, warning) that fires and
  resolves every few minutes all hour.
- About 30 unrelated warning/info alerts (background noise).
- {summary.unmapped} alerts whose labels name no topology component (shown as *unmapped*).
- Alert text that is HTML: one annotation contains `<script>alert(1)</script>`,
  another `"><img src=x onerror=alert(1)>`. Alert text is untrusted input; every
  view must show it as text.
- {len(summary.malformed_lines)} malformed lines (a truncated record, an alert
  without labels, an impossible timestamp, a log line that is not JSON) at
  lines {malformed}: they appear in the *rejected* view, the stream goes on.

## Deployment history

Columns: `deploy_id, time, service, team, change_size, files_changed,
author_experience, is_hotfix, has_migration, hour_of_day, day_of_week,
tests_added, canary, failed` (booleans 0/1, `day_of_week` 0 = Monday,
`author_experience` = the author's earlier deployments). Whether a deployment
failed depends, with noise, on the change (size, files, migration, hotfix,
tests, canary), the time (late night, Friday afternoon), the author's
experience, the service's place in the topology (how many components depend on
it, edge tier) and its recent failures (previous 14 days), plus a hidden
per-service reliability.
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: `python -m core.demo --out DIR [--seed N] [--small]`."""
    parser = argparse.ArgumentParser(prog="python -m core.demo", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("resources/demo"))
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--small", action="store_true", help="smaller estate and history")
    args = parser.parse_args(argv)
    summary = generate_demo(args.out, args.seed, small=args.small)
    for name, size in summary.files.items():
        print(f"{args.out / name}: {size:,} bytes")
    print(
        f"{summary.components} components, {summary.records} records, "
        f"{len(summary.incidents)} incidents, {len(summary.malformed_lines)} malformed lines, "
        f"{summary.deployments} deployments ({summary.failure_rate:.1%} failed)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
