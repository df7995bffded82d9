"""The bundled demo is reproducible, decodes, maps onto its topology and is plausible."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import pytest

from core.demo import ALERT_HOUR, DEFAULT_SEED, DemoSummary, generate_demo
from core.graph.loaders import load_topology
from core.ingest.decode import Decoder
from core.ingest.mapping import ComponentMapper
from core.model import parse_time
from core.synthetic.estate import KIND_TIERS

DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo"
FILES = ("topology.json", "alerts.ndjson.gz", "deployments.csv", "planned.csv", "README.md")


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoSummary]:
    out = tmp_path_factory.mktemp("demo")
    return out, generate_demo(out, DEFAULT_SEED)


def _lines(path: Path) -> list[bytes]:
    return gzip.decompress(path.read_bytes()).split(b"\n")[:-1]


def test_generation_is_deterministic(tmp_path: Path) -> None:
    generate_demo(tmp_path / "a", 7, small=True)
    generate_demo(tmp_path / "b", 7, small=True)
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    generate_demo(tmp_path / "c", 8, small=True)
    assert (tmp_path / "c" / "alerts.ndjson.gz").read_bytes() != (
        tmp_path / "a" / "alerts.ndjson.gz"
    ).read_bytes()


def test_committed_demo_equals_a_fresh_generation(fresh: tuple[Path, DemoSummary]) -> None:
    out, _ = fresh
    for name in FILES:
        assert (DEMO / name).read_bytes() == (out / name).read_bytes(), (
            f"resources/demo/{name} is stale: run `make demo-data`"
        )


def test_gzip_header_is_reproducible() -> None:
    header = (DEMO / "alerts.ndjson.gz").read_bytes()[:10]
    assert header[:3] == b"\x1f\x8b\x08"
    assert header[3] == 0, "no file name or other optional fields"
    assert header[4:8] == b"\0\0\0\0", "mtime 0"


def test_folder_is_small() -> None:
    assert sum((DEMO / name).stat().st_size for name in FILES) < 3_000_000


def test_topology_loads_as_a_layered_estate() -> None:
    topology = load_topology(DEMO / "topology.json")
    assert 300 <= len(topology) <= 400
    assert topology.directed
    kinds = {topology.component(i).kind for i in range(len(topology))}
    assert kinds <= set(KIND_TIERS)
    assert {"cdn", "service", "database", "cache", "queue", "host", "switch", "router"} <= kinds
    for i in range(len(topology)):
        c = topology.component(i)
        assert c.tier == KIND_TIERS[c.kind]
        if c.kind == "host":
            # Every host hangs off its rack's top-of-rack switch.
            tors = [topology.ids[d] for d in topology.dependencies[i]]
            assert f"tor-{c.attrs['rack']}" in tors
    assert topology.to_networkx().number_of_edges() == topology.edge_count


def test_every_line_decodes_except_the_malformed_ones(fresh: tuple[Path, DemoSummary]) -> None:
    _, summary = fresh
    decoder = Decoder()
    rejected: list[int] = []
    events = 0
    shapes = {"envelope": 0, "webhook": 0, "api": 0}
    for n, line in enumerate(_lines(DEMO / "alerts.ndjson.gz"), 1):
        decoded, rejects = decoder.decode(line, where=f"line {n}")
        if rejects:
            rejected.append(n)
            assert not decoded
        events += len(decoded)
        if line.startswith(b'{"ts"'):
            shapes["envelope"] += 1
        elif line.startswith(b'{"receiver"'):
            shapes["webhook"] += 1
        elif b'"labels"' in line:
            shapes["api"] += 1
    assert rejected == summary.malformed_lines
    assert 3 <= len(rejected) <= 4
    assert events > 250
    assert shapes["envelope"] > shapes["webhook"] + shapes["api"]
    assert shapes["webhook"] > 0 and shapes["api"] > 0


def test_most_alerts_map_to_components() -> None:
    topology = load_topology(DEMO / "topology.json")
    mapper = ComponentMapper(topology)
    decoder = Decoder()
    mapped: set[str] = set()
    unmapped: set[str] = set()
    for n, line in enumerate(_lines(DEMO / "alerts.ndjson.gz"), 1):
        for event in decoder.decode(line, where=f"line {n}")[0]:
            node = mapper.map(event.labels)
            (mapped if node is not None else unmapped).add(event.fingerprint)
            assert ALERT_HOUR - 60 <= event.event_time <= ALERT_HOUR + 3600
    assert len(unmapped) == 3
    assert len(mapped) >= 20 * len(unmapped)


def test_alert_text_carries_the_hostile_html() -> None:
    text = gzip.decompress((DEMO / "alerts.ndjson.gz").read_bytes())
    decoder = Decoder()
    annotations = [
        value
        for n, line in enumerate(text.split(b"\n")[:-1], 1)
        for event in decoder.decode(line, where=f"line {n}")[0]
        for value in event.annotations.values()
    ]
    assert any("<script>alert(1)</script>" in a for a in annotations)
    assert any('"><img src=x onerror=alert(1)>' in a for a in annotations)


def test_readme_names_every_incident_root(fresh: tuple[Path, DemoSummary]) -> None:
    _, summary = fresh
    readme = (DEMO / "README.md").read_text()
    assert len(summary.incidents) == 5
    assert "synthetic" in readme.lower() and "make demo-data" in readme
    for incident in summary.incidents:
        assert f"`{incident.root}`" in readme
    silent = [i for i in summary.incidents if not i.root_alerting]
    assert silent and silent[0].root.startswith("tor-")


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_deployment_history_is_plausible_and_learnable() -> None:
    topology = load_topology(DEMO / "topology.json")
    rows = _read_csv(DEMO / "deployments.csv")
    assert 4500 <= len(rows) <= 5500
    assert all(topology.resolve(r["service"]) is not None for r in rows)
    times = [parse_time(r["time"]) for r in rows]
    assert times == sorted(times)
    assert times[0] >= ALERT_HOUR - 91 * 86400 and times[-1] < ALERT_HOUR
    failed = [r["failed"] == "1" for r in rows]
    assert 0.10 <= sum(failed) / len(rows) <= 0.15

    def rate(pick: list[bool]) -> float:
        chosen = [f for f, p in zip(failed, pick, strict=True) if p]
        return sum(chosen) / len(chosen)

    migration = [r["has_migration"] == "1" for r in rows]
    assert rate(migration) > rate([not m for m in migration]) + 0.05
    night = [int(r["hour_of_day"]) < 6 or int(r["hour_of_day"]) >= 22 for r in rows]
    assert rate(night) > rate([not x for x in night])
    novice = [int(r["author_experience"]) < 15 for r in rows]
    assert rate(novice) > rate([not x for x in novice])


def test_planned_deployments_follow_the_alert_hour() -> None:
    rows = _read_csv(DEMO / "planned.csv")
    assert len(rows) == 40
    assert "failed" not in rows[0]
    assert all(parse_time(r["time"]) > ALERT_HOUR + 3600 for r in rows)
