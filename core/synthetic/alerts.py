"""Synthetic Prometheus alerts and the way they reach Kafka, for the demo and scenarios.

Three steps: `propagate` spreads a fault from its root to dependents (who is
hurt, how badly, when); `symptom_alert`/`root_alert` turn a hurt component into
alerts with the labels, annotations and generator URL a real rule would carry;
`deliver` replays what Alertmanager (grouping, group_wait, group_interval,
resolves) and Prometheus (API v2 posts re-sent every minute) would send, as
NDJSON records in the shapes of DESIGN.md 3.2.

All randomness comes from a `random.Random` the caller seeds; delivery jitter
is a hash of the record's identity, so adding a late resolve never moves an
earlier record.
"""

from __future__ import annotations

import heapq
import json
import random
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from core.graph.topology import Topology
from core.ingest.fingerprint import alertmanager_fingerprint, fnv1a_64

__all__ = [
    "CLUSTER",
    "AlertSpec",
    "Impact",
    "Record",
    "alert_spec",
    "deliver",
    "go_time",
    "propagate",
    "root_alert",
    "severity_for",
    "symptom_alert",
]

CLUSTER = "prod-eu-1"
EXTERNAL_URL = "http://alertmanager.prod-eu-1.example.net:9093"
PROMETHEUS_URL = "http://prometheus.prod-eu-1.example.net:9090"
RUNBOOKS = "https://runbooks.example.net/alerts"
FIRING_ENDS_AT = "0001-01-01T00:00:00Z"  # Alertmanager's zero time on firing alerts

# alertname -> (summary, description, PromQL). `$name` is the component,
# `$value` a plausible measured value.
_TEMPLATES: dict[str, tuple[str, str, str]] = {
    "HighErrorRate": (
        "$name 5xx ratio above 5%",
        "$name answered $value% of requests with a 5xx status over the last 5 minutes.",
        'sum(rate(http_requests_total{service="$name",code=~"5.."}[5m]))'
        ' / sum(rate(http_requests_total{service="$name"}[5m])) > 0.05',
    ),
    "HighLatencyP99": (
        "$name p99 latency above 1s",
        "p99 request latency of $name is ${value}s (SLO 1s) over the last 5 minutes.",
        "histogram_quantile(0.99, sum by (le) "
        '(rate(http_request_duration_seconds_bucket{service="$name"}[5m]))) > 1',
    ),
    "PodCrashLooping": (
        "$name pod is crash looping",
        "A pod of $name restarted $value times in the last 15 minutes.",
        'increase(kube_pod_container_status_restarts_total{container="$name"}[15m]) > 3',
    ),
    "KubePodNotReady": (
        "$name has pods not ready",
        "$value pod(s) of $name have been not ready for more than 2 minutes.",
        'sum(kube_pod_status_ready{condition="false",pod=~"$name-.*"}) > 0',
    ),
    "TargetDown": (
        "$name scrape target is down",
        "Prometheus cannot scrape $name ($value% of targets down).",
        'up{job=~".*",instance=~"$name.*"} == 0',
    ),
    "PostgresDown": (
        "PostgreSQL $name is down",
        "pg_up is 0 on $name: the database is not accepting connections.",
        'pg_up{instance=~"$name.*"} == 0',
    ),
    "PostgresReplicationLag": (
        "PostgreSQL replica $name is lagging",
        "Replica $name is ${value}s behind its primary.",
        'pg_replication_lag_seconds{instance=~"$name.*"} > 30',
    ),
    "PostgresTooManyConnections": (
        "PostgreSQL $name connections near the limit",
        "$name uses $value% of max_connections.",
        "sum(pg_stat_activity_count) / max(pg_settings_max_connections) > 0.9",
    ),
    "RedisDown": (
        "Redis $name is down",
        "redis_up is 0 on $name.",
        'redis_up{instance=~"$name.*"} == 0',
    ),
    "RedisEvictionsHigh": (
        "Redis $name is evicting keys",
        "$name evicted $value keys per second over the last 5 minutes (maxmemory reached).",
        'rate(redis_evicted_keys_total{instance=~"$name.*"}[5m]) > 100',
    ),
    "RedisMemoryHigh": (
        "Redis $name memory above 90%",
        "$name uses $value% of maxmemory.",
        "redis_memory_used_bytes / redis_memory_max_bytes > 0.9",
    ),
    "KafkaBrokerDown": (
        "Kafka broker $name is down",
        "Broker $name left the cluster; partitions it led are re-electing.",
        'kafka_broker_info{instance=~"$name.*"} == 0',
    ),
    "KafkaUnderReplicatedPartitions": (
        "Kafka $name has under-replicated partitions",
        "$value partitions on $name are under-replicated.",
        "kafka_topic_partition_under_replicated_partition > 0",
    ),
    "KafkaConsumerLagHigh": (
        "Consumer lag of $name is high",
        "Consumer group of $name is $value messages behind.",
        'sum(kafka_consumergroup_lag{consumergroup="$name"}) > 10000',
    ),
    "NodeNotReady": (
        "Kubernetes node $name is not ready",
        "$name has been NotReady for more than 1 minute.",
        'kube_node_status_condition{condition="Ready",status="true",node="$name"} == 0',
    ),
    "DiskPressure": (
        "Node $name is under disk pressure",
        "Filesystem on $name is $value% full.",
        'kube_node_status_condition{condition="DiskPressure",status="true",node="$name"} == 1',
    ),
    "HighCPUUsage": (
        "CPU usage on $name above 90%",
        "$name CPU busy $value% over the last 10 minutes.",
        '1 - avg(rate(node_cpu_seconds_total{mode="idle",instance=~"$name.*"}[10m])) > 0.9',
    ),
    "ClockSkewDetected": (
        "Clock skew on $name",
        "$name clock is ${value}s off its NTP source.",
        'abs(node_timex_offset_seconds{instance=~"$name.*"}) > 0.05',
    ),
    "InterfaceDown": (
        "Interface down on $name",
        "Uplink interface on $name is operationally down.",
        'ifOperStatus{instance="$name"} == 2',
    ),
    "SwitchUnreachable": (
        "Switch $name unreachable",
        "SNMP polling of $name has failed for 2 minutes.",
        'up{job="snmp",instance="$name"} == 0',
    ),
    "BGPSessionDown": (
        "BGP session down on $name",
        "$value BGP peer(s) of $name are not Established.",
        'bgpPeerState{instance="$name"} != 6',
    ),
    "FirewallSessionTableHigh": (
        "Firewall $name session table above 90%",
        "$name session table is $value% full.",
        "fw_sessions_active / fw_sessions_max > 0.9",
    ),
    "DNSResolutionFailures": (
        "DNS resolution failing via $name",
        "$value% of DNS queries to $name return SERVFAIL.",
        'sum(rate(coredns_dns_responses_total{rcode="SERVFAIL"}[5m]))'
        " / sum(rate(coredns_dns_responses_total[5m])) > 0.05",
    ),
    "CoreDNSLatencyHigh": (
        "$name DNS latency high",
        "p99 DNS request latency of $name is ${value}s.",
        "histogram_quantile(0.99, sum by (le) "
        "(rate(coredns_dns_request_duration_seconds_bucket[5m]))) > 0.5",
    ),
    "TokenIssueLatencyHigh": (
        "$name token issuance slow",
        "p99 token issuance latency of $name is ${value}s.",
        "histogram_quantile(0.99, sum by (le) (rate(idp_token_issue_seconds_bucket[5m]))) > 2",
    ),
    "ObjectStoreErrors": (
        "Object store $name errors",
        "$value% of S3 requests to $name fail.",
        'sum(rate(minio_s3_requests_errors_total{instance=~"$name.*"}[5m])) > 1',
    ),
    "HAProxyBackendDown": (
        "$name has backends down",
        "$value backend server(s) of $name are DOWN.",
        'haproxy_backend_active_servers{instance=~"$name.*"} < 1',
    ),
    "HAProxyDown": (
        "$name is down",
        "HAProxy on $name is not answering.",
        'haproxy_up{instance=~"$name.*"} == 0',
    ),
    "UpstreamErrorsHigh": (
        "$name upstream errors",
        "$value% of requests through $name fail upstream.",
        'sum(rate(gateway_upstream_errors_total{service="$name"}[5m])) > 0.02',
    ),
    "CDNOriginErrors": (
        "$name origin errors",
        "$value% of origin fetches from $name fail.",
        'probe_success{instance=~"$name.*"} == 0',
    ),
    "NTPServerUnreachable": (
        "NTP server $name unreachable",
        "$name answers no NTP queries.",
        'up{job="ntp",instance=~"$name.*"} == 0',
    ),
    "ConfigReloadFailed": (
        "$name failed to reload configuration",
        "Last configuration reload of $name failed.",
        'config_last_reload_successful{service="$name"} == 0',
    ),
    "CertificateExpiringSoon": (
        "TLS certificate of $name expires soon",
        "The certificate served by $name expires in $value days.",
        'probe_ssl_earliest_cert_expiry{instance=~"$name.*"} - time() < 14 * 86400',
    ),
}

_K8S_KINDS = frozenset({"service", "gateway", "auth", "config", "dns"})
_EXPORTERS: dict[str, tuple[str, int]] = {
    "database": ("postgres-exporter", 9187),
    "cache": ("redis-exporter", 9121),
    "queue": ("kafka-exporter", 9308),
    "storage": ("minio", 9000),
    "load_balancer": ("haproxy", 8404),
    "ntp": ("chrony-exporter", 9123),
    "cdn": ("blackbox", 443),
}
_SNMP_KINDS = frozenset({"switch", "router", "firewall"})

ROOT_ALERTNAMES: dict[str, tuple[str, ...]] = {
    "service": ("HighErrorRate",),
    "gateway": ("HighErrorRate",),
    "auth": ("HighErrorRate",),
    "config": ("TargetDown",),
    "dns": ("DNSResolutionFailures",),
    "database": ("PostgresDown",),
    "cache": ("RedisDown",),
    "queue": ("KafkaBrokerDown",),
    "storage": ("ObjectStoreErrors",),
    "host": ("NodeNotReady",),
    "switch": ("SwitchUnreachable",),
    "router": ("BGPSessionDown",),
    "firewall": ("FirewallSessionTableHigh",),
    "load_balancer": ("HAProxyDown",),
    "cdn": ("CDNOriginErrors",),
    "ntp": ("NTPServerUnreachable",),
}
"""The alert a component raises when it is itself the broken thing."""

NOISE_ALERTNAMES: dict[str, tuple[str, ...]] = {
    "service": ("HighLatencyP99", "KafkaConsumerLagHigh", "CertificateExpiringSoon"),
    "host": ("DiskPressure", "HighCPUUsage", "ClockSkewDetected"),
    "database": ("PostgresTooManyConnections",),
    "cache": ("RedisMemoryHigh",),
    "queue": ("KafkaUnderReplicatedPartitions",),
    "storage": ("CertificateExpiringSoon",),
    "auth": ("CertificateExpiringSoon",),
    "dns": ("CoreDNSLatencyHigh",),
    "ntp": ("ClockSkewDetected",),
    "router": ("BGPSessionDown",),
    "firewall": ("FirewallSessionTableHigh",),
    "gateway": ("CertificateExpiringSoon",),
    "cdn": ("CertificateExpiringSoon",),
    "load_balancer": ("CertificateExpiringSoon",),
    "switch": ("InterfaceDown",),
}
"""Everyday low-severity alerts that are not part of any incident."""


@dataclass
class AlertSpec:
    """One alert episode: identity (labels), text, when it fires and resolves.

    `incident` is the index of the incident it belongs to (None for noise),
    `channel` how it reaches Kafka ("webhook" via Alertmanager, "api" posted by
    Prometheus), `delay` extra delivery delay in seconds (a backed-up sender).
    """

    component: str | None
    labels: dict[str, str]
    annotations: dict[str, str]
    generator_url: str
    starts_at: float
    ends_at: float | None = None
    incident: int | None = None
    channel: str = "webhook"
    delay: float = 0.0

    @property
    def fingerprint(self) -> str:
        return alertmanager_fingerprint(self.labels)


@dataclass(frozen=True, slots=True)
class Impact:
    """A component a fault reaches: how strongly, after how many hops, when."""

    node: int
    strength: float
    hops: int
    at: float
    via: int | None


def propagate(
    topology: Topology,
    root: int,
    start: float,
    rng: random.Random,
    weights: Mapping[tuple[int, int], float] | None = None,
    *,
    strength: float = 1.0,
    decay: float = 0.75,
    floor: float = 0.12,
    max_hops: int = 6,
    hop_delay: tuple[float, float] = (15.0, 75.0),
) -> list[Impact]:
    """Spread a fault at `root` over its dependents, strongest path first.

    A dependent's impact strength is its dependency's strength times the edge's
    impact weight (1 when unknown) times `decay`, starting from `strength` at
    the root (below 1 for a degradation); it stops below `floor`. Each
    reached component is hurt `hop_delay` seconds after the one it is reached
    through. The root comes first, then the others in the order they are hurt.
    """
    weights = weights or {}
    best: dict[int, Impact] = {}
    heap: list[tuple[float, int, int, float, int | None]] = [(-strength, root, 0, start, None)]
    while heap:
        neg, node, hops, at, via = heapq.heappop(heap)
        if node in best:
            continue
        best[node] = Impact(node, -neg, hops, at, via)
        if hops >= max_hops:
            continue
        for dependent in topology.dependents[node]:
            if dependent in best:
                continue
            strength = -neg * weights.get((node, dependent), 1.0) * decay
            if strength >= floor:
                delay = rng.uniform(*hop_delay)
                heapq.heappush(heap, (-strength, dependent, hops + 1, at + delay, node))
    return sorted(best.values(), key=lambda i: (i.hops > 0, i.at, i.node))


def severity_for(strength: float) -> str:
    """Severity falls with impact strength: critical near the root, info far out."""
    if strength >= 0.7:
        return "critical"
    if strength >= 0.45:
        return "major"
    if strength >= 0.25:
        return "warning"
    return "info"


def symptom_alertnames(
    kind: str, cause_kind: str, strength: float, rng: random.Random
) -> list[str]:
    """What a component hurt through a dependency of kind `cause_kind` alerts with."""
    if kind == "host":
        if cause_kind == "ntp":
            return ["ClockSkewDetected"]
        return ["NodeNotReady", "TargetDown"] if rng.random() < 0.4 else ["NodeNotReady"]
    if kind in ("service", "config") or kind not in ROOT_ALERTNAMES:
        if cause_kind == "host":
            return [rng.choice(("PodCrashLooping", "KubePodNotReady"))]
        if strength >= 0.5:
            return ["HighErrorRate", "HighLatencyP99"] if rng.random() < 0.3 else ["HighErrorRate"]
        return [rng.choice(("HighLatencyP99", "HighErrorRate"))]
    table = {
        "gateway": "UpstreamErrorsHigh",
        "auth": "TokenIssueLatencyHigh",
        "dns": "CoreDNSLatencyHigh",
        "cache": "RedisDown" if cause_kind == "host" else "RedisMemoryHigh",
        "queue": "KafkaBrokerDown" if cause_kind == "host" else "KafkaUnderReplicatedPartitions",
        "storage": "ObjectStoreErrors",
        "switch": "InterfaceDown",
        "router": "BGPSessionDown",
        "firewall": "FirewallSessionTableHigh",
        "load_balancer": "HAProxyBackendDown",
        "cdn": "CDNOriginErrors",
        "ntp": "NTPServerUnreachable",
    }
    if kind == "database":
        if cause_kind == "database":
            return ["PostgresReplicationLag"]
        return ["PostgresDown"] if cause_kind == "host" else ["PostgresTooManyConnections"]
    return [table[kind]]


def alert_spec(
    topology: Topology,
    node: int,
    alertname: str,
    severity: str,
    starts_at: float,
    rng: random.Random,
    *,
    incident: int | None = None,
    extra_labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
) -> AlertSpec:
    """An alert on topology node `node` labelled the way its exporter/rule labels it."""
    component = topology.component(node)
    # Alerts name a component by its `name` when that resolves back to it,
    # else by id (topologies whose names repeat).
    name = component.name if topology.resolve(component.name) == node else component.id
    labels = {"alertname": alertname, "severity": severity, "cluster": CLUSTER, "env": "prod"}
    team = component.attrs.get("team")
    if isinstance(team, str):
        labels["team"] = team
    kind = component.kind
    if kind == "host":
        labels.update(instance=f"{name}:9100", node=name, job="node-exporter")
    elif kind in _SNMP_KINDS:
        labels.update(instance=name, job="snmp")
        if alertname == "InterfaceDown":
            labels["ifName"] = f"Ethernet1/{rng.randint(1, 54)}"
    elif kind in _EXPORTERS:
        job, port = _EXPORTERS[kind]
        labels.update(instance=f"{name}:{port}", job=job)
    else:
        namespace = component.attrs.get("namespace")
        labels.update(
            service=name,
            namespace=namespace if isinstance(namespace, str) else "default",
            job="kubernetes-pods",
        )
        if alertname in ("PodCrashLooping", "KubePodNotReady"):
            suffix = "".join(rng.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5))
            labels["pod"] = f"{name}-{rng.randint(5, 9)}f{rng.randint(10, 99)}c-{suffix}"
            labels["container"] = name
    if extra_labels:
        labels.update(extra_labels)
    return make_alert(
        labels,
        starts_at,
        rng,
        name=name,
        incident=incident,
        component=component.id,
        annotations=annotations,
    )


def make_alert(
    labels: dict[str, str],
    starts_at: float,
    rng: random.Random,
    *,
    name: str,
    incident: int | None = None,
    component: str | None = None,
    annotations: Mapping[str, str] | None = None,
) -> AlertSpec:
    """An alert with the summary/description/runbook/generatorURL of its rule."""
    alertname = labels["alertname"]
    summary, description, expr = _TEMPLATES[alertname]
    value = str(rng.choice((round(rng.uniform(1.5, 40.0), 1), rng.randint(3, 250))))
    fill = {"name": name, "value": value}
    texts = {
        "summary": string.Template(summary).safe_substitute(fill),
        "description": string.Template(description).safe_substitute(fill),
        "runbook_url": f"{RUNBOOKS}/{_kebab(alertname)}",
    }
    if annotations:
        texts.update(annotations)
    query = quote(string.Template(expr).safe_substitute(fill), safe="")
    url = f"{PROMETHEUS_URL}/graph?g0.expr={query}&g0.tab=1"
    return AlertSpec(component, labels, texts, url, round(starts_at, 3), incident=incident)


def _kebab(name: str) -> str:
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and not name[i - 1].isupper():
            out.append("-")
        out.append(ch.lower())
    return "".join(out)


def root_alert(
    topology: Topology, node: int, starts_at: float, rng: random.Random, **kwargs: Any
) -> list[AlertSpec]:
    """The alert(s) a failing component raises about itself."""
    kind = topology.component(node).kind
    names = ROOT_ALERTNAMES.get(kind, ("HighErrorRate",))
    return [alert_spec(topology, node, n, "critical", starts_at, rng, **kwargs) for n in names]


def symptom_alert(
    topology: Topology, impact: Impact, starts_at: float, rng: random.Random, **kwargs: Any
) -> list[AlertSpec]:
    """The alert(s) a component hurt by a fault upstream raises."""
    kind = topology.component(impact.node).kind
    cause = topology.component(impact.via).kind if impact.via is not None else ""
    names = symptom_alertnames(kind, cause, impact.strength, rng)
    severity = severity_for(impact.strength)
    return [
        alert_spec(
            topology, impact.node, n, severity, starts_at + i * rng.uniform(5, 40), rng, **kwargs
        )
        for i, n in enumerate(names)
    ]


# -- delivery ----------------------------------------------------------------


def go_time(t: float) -> str:
    """RFC 3339 the way Go's time.Time marshals (fraction without trailing zeros)."""
    ms = round(t * 1000)
    seconds, frac = divmod(ms, 1000)
    text = datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if frac:
        text += f".{frac:03d}".rstrip("0")
    return text + "Z"


def go_json(obj: Any) -> str:
    """Compact JSON escaped like Go's encoding/json (`<`, `>`, `&` as \\u00XX)."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _jitter(key: str, low: float, high: float) -> float:
    """A deterministic pseudo-random number in [low, high) derived from `key`."""
    return low + (high - low) * (fnv1a_64(key.encode()) % 1_000_003) / 1_000_003


@dataclass(frozen=True, slots=True)
class Route:
    """An Alertmanager route: which alerts, how they are grouped and paced."""

    receiver: str
    severity: str | None
    group_by: tuple[str, ...]
    group_wait: float
    group_interval: float

    def matches(self, labels: Mapping[str, str]) -> bool:
        return self.severity is None or labels.get("severity") == self.severity

    def group_key(self, labels: Mapping[str, str]) -> tuple[str, dict[str, str]]:
        group = {k: labels[k] for k in sorted(self.group_by) if k in labels}
        inner = ", ".join(f'{k}="{v}"' for k, v in group.items())
        prefix = "{}" if self.severity is None else '{}/{severity="' + self.severity + '"}'
        return f"{prefix}:{{{inner}}}", group


ROUTES: tuple[Route, ...] = (
    Route("noc-webhook-critical", "critical", ("alertname", "cluster"), 10.0, 60.0),
    Route("noc-webhook", None, ("alertname", "service"), 30.0, 120.0),
)


@dataclass(frozen=True, slots=True)
class Record:
    """One NDJSON line and the time it was recorded (for ordering and truth)."""

    time: float
    partition: int
    line: str
    firing: tuple[str, ...] = ()  # fingerprints this record reports as firing


@dataclass
class _Group:
    route: Route
    key: str
    labels: dict[str, str]
    episodes: list[AlertSpec] = field(default_factory=list)


def deliver(
    alerts: Sequence[AlertSpec],
    horizon: float,
    *,
    bare_every: int = 0,
    partitions: int = 3,
) -> list[Record]:
    """Every record Alertmanager and Prometheus would have sent until `horizon`.

    Webhook alerts are grouped per route; a group notifies `group_wait` after
    its first alert and then every `group_interval` while something changed,
    each time with all its firing alerts plus those resolved since the last
    notification. API alerts are posted when they fire, re-posted every
    minute with `endsAt` four minutes ahead (Prometheus' resend), and posted
    once more when they resolve. Records are enveloped for Kafka, except every
    `bare_every`-th webhook, which is written bare (a receiver's own dump).
    The result is in the order a consumer polling partitions in 15-second
    batches would record it: by batch, then partition, then offset.
    """
    raw: list[tuple[float, int, str, Any, tuple[str, ...], bool]] = []
    groups: dict[tuple[str, str], _Group] = {}
    for spec in alerts:
        if spec.channel in ("api", "api-bare"):
            raw.extend(_api_posts(spec, horizon))
            continue
        route = next(r for r in ROUTES if r.matches(spec.labels))
        key, group_labels = route.group_key(spec.labels)
        group = groups.setdefault((route.receiver, key), _Group(route, key, group_labels))
        group.episodes.append(spec)
    notify_count = 0
    for (_, key), group in sorted(groups.items()):
        for t, payload, firing in _notifications(group, horizon):
            notify_count += 1
            bare = bare_every > 0 and notify_count % bare_every == 0
            raw.append((t, fnv1a_64(key.encode()) % partitions, key, payload, firing, bare))
    raw.sort(key=lambda r: (r[0], r[1], r[2]))
    offsets = [0] * partitions
    records: list[Record] = []
    for t, partition, key, value, firing, bare in raw:
        if bare:
            line = go_json(value)
        else:
            topic = "alertmanager-webhooks" if isinstance(value, dict) else "prometheus-alerts"
            envelope = {
                "ts": round(t * 1000),
                "topic": topic,
                "partition": partition,
                "offset": 1_000_000 + offsets[partition],
                "key": key,
                "headers": [["content-type", "application/json"]],
                "value": value,
            }
            offsets[partition] += 1
            line = go_json(envelope)
        records.append(Record(round(t, 3), -1 if bare else partition, line, firing))
    records.sort(key=lambda r: (int(r.time // 15), r.partition))
    return records


def _notifications(
    group: _Group, horizon: float
) -> Iterable[tuple[float, dict[str, Any], tuple[str, ...]]]:
    """The webhook payloads one Alertmanager aggregation group sends.

    A group is created by its first alert and flushes `group_wait` later, then
    ticks every `group_interval`, notifying only when an alert started or
    resolved since the last notification; once nothing fires it is deleted,
    and the next alert creates it anew (group_wait again).
    """
    route = group.route
    changes = sorted(
        {s.starts_at for s in group.episodes}
        | {s.ends_at for s in group.episodes if s.ends_at is not None}
    )
    last: float | None = None
    t = min(s.starts_at for s in group.episodes) + route.group_wait
    while t < horizon:
        changed = any((last is None or c > last) and c <= t for c in changes)
        alerts = _group_state(group, t, last) if changed else []
        if alerts:
            sent = t + _jitter(f"{group.key}@{t:.3f}", 0.05, 0.6)
            firing = tuple(a["fingerprint"] for a in alerts if a["status"] == "firing")
            yield sent, _webhook(group, alerts), firing
            last = t
        if _empty(group, t):
            later = [s.starts_at for s in group.episodes if s.starts_at > t]
            if not later:
                return
            t = min(later) + route.group_wait
        else:
            t += route.group_interval


def _empty(group: _Group, t: float) -> bool:
    return not any(
        s.starts_at <= t and (s.ends_at is None or s.ends_at > t) for s in group.episodes
    )


def _group_state(group: _Group, t: float, last: float | None) -> list[dict[str, Any]]:
    """Alerts in a notification at `t`: firing now, or resolved since the last one."""
    latest: dict[str, AlertSpec] = {}
    for spec in group.episodes:
        if spec.starts_at <= t:
            fp = spec.fingerprint
            if fp not in latest or spec.starts_at > latest[fp].starts_at:
                latest[fp] = spec
    out = []
    for fp, spec in latest.items():
        resolved = spec.ends_at is not None and spec.ends_at <= t
        if resolved and last is not None and spec.ends_at is not None and spec.ends_at <= last:
            continue  # resolve already notified
        out.append(_am_alert(spec, fp, resolved))
    # Alertmanager sorts a notification's alerts by job, instance, start, fingerprint.
    out.sort(
        key=lambda a: (
            a["labels"].get("job", ""),
            a["labels"].get("instance", ""),
            a["startsAt"],
            a["fingerprint"],
        )
    )
    return out


def _am_alert(spec: AlertSpec, fp: str, resolved: bool) -> dict[str, Any]:
    return {
        "status": "resolved" if resolved else "firing",
        "labels": dict(sorted(spec.labels.items())),
        "annotations": dict(sorted(spec.annotations.items())),
        "startsAt": go_time(spec.starts_at),
        "endsAt": go_time(spec.ends_at) if resolved and spec.ends_at else FIRING_ENDS_AT,
        "generatorURL": spec.generator_url,
        "fingerprint": fp,
    }


def _common(maps: list[dict[str, str]]) -> dict[str, str]:
    first = maps[0]
    return {k: v for k, v in sorted(first.items()) if all(m.get(k) == v for m in maps[1:])}


def _webhook(group: _Group, alerts: list[dict[str, Any]]) -> dict[str, Any]:
    """The payload exactly as Alertmanager's webhook notifier marshals it (field order too)."""
    firing = any(a["status"] == "firing" for a in alerts)
    return {
        "receiver": group.route.receiver,
        "status": "firing" if firing else "resolved",
        "alerts": alerts,
        "groupLabels": group.labels,
        "commonLabels": _common([a["labels"] for a in alerts]),
        "commonAnnotations": _common([a["annotations"] for a in alerts]),
        "externalURL": EXTERNAL_URL,
        "version": "4",
        "groupKey": group.key,
        "truncatedAlerts": 0,
    }


def _api_posts(
    spec: AlertSpec, horizon: float
) -> Iterable[tuple[float, int, str, Any, tuple[str, ...], bool]]:
    """Prometheus' API v2 posts for one alert: fire, re-send every minute, resolve.

    Channel "api-bare" writes the alert as `GET /api/v2/alerts` shows it
    (status object, `updatedAt`, receivers) without a Kafka envelope, the way
    an operator's periodic dump of Alertmanager looks.
    """
    fp = spec.fingerprint
    partition = fnv1a_64(fp.encode()) % 3
    bare = spec.channel == "api-bare"
    t = spec.starts_at + _jitter(fp, 0.2, 2.0)
    end = spec.ends_at if spec.ends_at is not None else horizon
    while t < min(end, horizon):
        yield t + spec.delay, partition, fp, _api_alert(spec, fp, t + 240.0, t, bare), (fp,), bare
        t += 120.0 if bare else 60.0  # a dump every 2 minutes; Prometheus resends every minute
    if spec.ends_at is not None and spec.ends_at < horizon:
        sent = spec.ends_at + 1.0 + spec.delay
        yield sent, partition, fp, _api_alert(spec, fp, spec.ends_at, sent, bare), (), bare


def _api_alert(spec: AlertSpec, fp: str, ends_at: float, sent: float, bare: bool) -> Any:
    if not bare:
        # The body Prometheus POSTs: a list, no status, endsAt = expiry.
        return [
            {
                "labels": dict(sorted(spec.labels.items())),
                "annotations": dict(sorted(spec.annotations.items())),
                "startsAt": go_time(spec.starts_at),
                "endsAt": go_time(ends_at),
                "generatorURL": spec.generator_url,
            }
        ]
    state = "active" if ends_at > sent else "unprocessed"
    return {
        "annotations": dict(sorted(spec.annotations.items())),
        "endsAt": go_time(ends_at),
        "fingerprint": fp,
        "receivers": [{"name": "noc-webhook"}],
        "startsAt": go_time(spec.starts_at),
        "status": {"inhibitedBy": [], "silencedBy": [], "state": state},
        "updatedAt": go_time(sent),
        "generatorURL": spec.generator_url,
        "labels": dict(sorted(spec.labels.items())),
    }
