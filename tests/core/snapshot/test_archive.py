"""Snapshot files: round trip, determinism, versions, and damaged or tampered files."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest

from core.analysis import analyze_records
from core.graph.loaders import load_topology
from core.graph.topology import Topology
from core.model import Status, parse_time
from core.operator import OperatorLog
from core.snapshot.archive import (
    SCHEMA_VERSION,
    SnapshotError,
    read_snapshot,
    snapshot_bytes,
)
from core.snapshot.content import SnapshotOptions, build_content
from core.snapshot.export import export_snapshot
from core.timeline import Record, load_records
from tests.builders import event

DEMO = Path(__file__).resolve().parents[3] / "resources" / "demo"
AT = parse_time("2026-11-26T02:45:00Z")


@pytest.fixture(scope="module")
def topology() -> Topology:
    return load_topology(DEMO / "topology.json")


@pytest.fixture(scope="module")
def records() -> list[Record]:
    return load_records(DEMO / "alerts.ndjson.gz")


@pytest.fixture(scope="module")
def snapshot_file(
    tmp_path_factory: pytest.TempPathFactory, topology: Topology, records: list[Record]
) -> Path:
    log = OperatorLog()
    log.acknowledge("D3", "night-shift", AT - 300)
    log.note("D3", "night-shift", 'kafka looks sick <b>bold?</b> "quoted"', AT - 200)
    path = tmp_path_factory.mktemp("snap") / "incident.wfsnap"
    options = SnapshotOptions(
        at=AT,
        topology_name="topology.json",
        replay_name="alerts.ndjson.gz",
        operator_actions=log.actions,
    )
    export_snapshot(path, topology, records, options)
    return path


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _rezip(members: dict[str, bytes], names: list[str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names or list(members):
            archive.writestr(name, members[name])
    return buffer.getvalue()


# -- round trip ------------------------------------------------------------------------------


def test_reopened_snapshot_shows_the_same_domains_root_causes_and_alerts(
    snapshot_file: Path, topology: Topology, records: list[Record]
) -> None:
    original = analyze_records(topology, records, at=AT).to_json()
    snapshot = read_snapshot(snapshot_file)
    assert snapshot.analysis["domains"] == original["domains"]
    reopened = snapshot.analyze().to_json()
    assert reopened["domains"] == original["domains"]  # ids, members, causes, impact, alerts
    assert reopened["unmapped"] == original["unmapped"]
    assert len(original["domains"]) >= 3


def test_a_shorter_window_still_rebuilds_the_same_state(
    tmp_path: Path, topology: Topology, records: list[Record]
) -> None:
    path = tmp_path / "short.wfsnap"
    export_snapshot(path, topology, records, SnapshotOptions(at=AT, window=20 * 60))
    snapshot = read_snapshot(path)
    original = analyze_records(topology, records, at=AT).to_json()
    assert snapshot.analyze().to_json()["domains"] == original["domains"]
    # the alert list covers the window: every firing alert, fewer than the whole hour
    listed = {a["fingerprint"] for a in snapshot.alerts}
    hour = build_content(topology, records, SnapshotOptions(at=AT)).alerts
    assert listed < {a["fingerprint"] for a in hour}
    firing = {fp for d in original["domains"] for fp in d["alerts"]} | set(original["unmapped"])
    assert firing <= listed
    assert snapshot.window_start == AT - 20 * 60


def test_snapshot_carries_the_parts_a_colleague_needs(snapshot_file: Path) -> None:
    snapshot = read_snapshot(snapshot_file)
    manifest = snapshot.manifest
    assert manifest["schema_version"] == SCHEMA_VERSION
    assert manifest["when"] == "2026-11-26T02:45:00Z"
    assert manifest["window"]["seconds"] == 3600
    assert manifest["source"]["replay"] == "alerts.ndjson.gz"
    names = {m["name"] for m in manifest["members"]}
    assert {"analysis.json", "alerts.json", "alerts.csv", "report.html", "topology.json"} <= names
    # topology: every domain member, root cause and impacted component, with positions
    ids = set(snapshot.topology.ids)
    for domain in snapshot.analysis["domains"]:
        assert set(domain["members"]) <= ids
        assert set(domain["impacted"]) <= ids
        assert {c["component"] for c in domain["root_causes"]} <= ids
    assert all("x" in a and "y" in a for a in snapshot.topology.attrs)
    # the operator's acknowledgement and note travel with it
    kinds = [(a.kind.value, a.domain_id, a.who) for a in snapshot.operator]
    assert ("acknowledge", "D3", "night-shift") in kinds
    assert any(a.text.startswith("kafka looks sick") for a in snapshot.operator)
    # the domain timeline and per-minute trends over the window
    assert any(row["change"] == "opened" for row in snapshot.timeline)
    assert len(snapshot.trends["times"]) == 61
    firing = {a["fingerprint"] for a in snapshot.alerts if a["status"] == "firing"}
    for domain in snapshot.analysis["domains"]:
        assert set(domain["alerts"]) <= firing


def test_two_exports_of_the_same_input_are_byte_identical(
    tmp_path: Path, topology: Topology, records: list[Record]
) -> None:
    options = SnapshotOptions(at=AT, risk_rows=({"deploy_id": "P1", "time": "2026-11-26T02:50Z"},))
    first, second = tmp_path / "1.wfsnap", tmp_path / "2.wfsnap"
    export_snapshot(first, topology, records, options)
    export_snapshot(second, topology, records, options)
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        infos = archive.infolist()
    assert infos[0].filename == "manifest.json"
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}


def test_domain_snapshot_holds_only_that_domain(
    tmp_path: Path, topology: Topology, records: list[Record]
) -> None:
    full = analyze_records(topology, records, at=AT)
    target = full.domains[0]
    path = tmp_path / "one.wfsnap"
    export_snapshot(path, topology, records, SnapshotOptions(at=AT, domain=target.id))
    snapshot = read_snapshot(path)
    assert [d["id"] for d in snapshot.analysis["domains"]] == [target.id]
    [reopened] = snapshot.analyze().domains
    assert set(reopened.members) == set(target.members)
    assert reopened.root_causes[0].component == target.root_causes[0].component
    assert {a["domain"] for a in snapshot.alerts if a["status"] == "firing"} == {target.id}
    assert {a["component"] for a in snapshot.alerts} <= set(target.members)
    with pytest.raises(ValueError, match="no open failure domain 'D999'"):
        build_content(topology, records, SnapshotOptions(at=AT, domain="D999"))


@pytest.mark.parametrize("rank", [0, 1, 3])
def test_one_domain_snapshot_reopens_with_its_original_id(
    tmp_path: Path, topology: Topology, records: list[Record], rank: int
) -> None:
    full = analyze_records(topology, records, at=AT)
    expected = full.to_json()["domains"][rank]
    assert expected["id"] != "D1"  # the demo's domains open late: a fresh engine says D1
    path = tmp_path / "one.wfsnap"
    log = OperatorLog()
    log.note(expected["id"], "night-shift", "handing over", AT - 60)
    options = SnapshotOptions(at=AT, domain=expected["id"], operator_actions=log.actions)
    export_snapshot(path, topology, records, options)
    snapshot = read_snapshot(path)
    # ids, members, root causes, impact and alerts: as the full analysis says
    assert snapshot.analyze().to_json()["domains"] == [expected]
    assert snapshot.manifest["engine"]["domain_ids"]
    assert {row["domain"] for row in snapshot.timeline} <= {expected["id"]} | {
        name for name in snapshot.manifest["engine"]["domain_ids"].values()
    }
    assert expected["id"] in {row["domain"] for row in snapshot.timeline}
    assert [(a.domain_id, a.text) for a in snapshot.operator] == [(expected["id"], "handing over")]
    firing = {a["fingerprint"] for a in snapshot.alerts if a["status"] == "firing"}
    assert firing == set(expected["alerts"])
    # a snapshot of the reopened snapshot's domain keeps the id again
    again = tmp_path / "again.wfsnap"
    export_snapshot(
        again,
        snapshot.topology,
        snapshot.records,
        SnapshotOptions(at=snapshot.when, domain=expected["id"], config=snapshot.config),
    )
    assert read_snapshot(again).analyze().to_json()["domains"] == [expected]


def test_risk_rows_near_the_window_are_kept(topology: Topology, records: list[Record]) -> None:
    rows = (
        {"deploy_id": "near", "time": "2026-11-26T03:15:00Z", "risk": 0.8},
        {"deploy_id": "far", "time": "2026-11-28T03:15:00Z", "risk": 0.1},
        {"deploy_id": "undated", "risk": 0.3},
    )
    content = build_content(topology, records, SnapshotOptions(at=AT, risk_rows=rows))
    assert [r["deploy_id"] for r in content.risk or []] == ["near", "undated"]


def test_csv_neutralises_formulas_and_html_escapes_markup(
    tmp_path: Path, topology: Topology
) -> None:
    events = [
        event("db", at=1000.0, summary='=HYPERLINK("http://evil")'),
        event("api", at=1001.0, summary='<script>alert(1)</script> "><img src=x onerror=alert(2)>'),
    ]
    from tests.builders import estate

    estate_topology = estate()
    records = [Record(i, (e,)) for i, e in enumerate(events, start=1)]
    path = tmp_path / "x.wfsnap"
    export_snapshot(path, estate_topology, records, SnapshotOptions(at=1002.0))
    members = _members(path)
    csv_text = members["alerts.csv"].decode()
    assert "'=HYPERLINK" in csv_text
    assert "\n=HYPERLINK" not in csv_text and ",=HYPERLINK" not in csv_text
    report = members["report.html"].decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in report
    assert "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;" in report
    assert "<script" not in report.lower()
    assert "<img src=x" not in report


# -- versions ----------------------------------------------------------------------------


def _with_manifest(
    path: Path, out: Path, change: dict[str, object], extra: dict[str, bytes]
) -> None:
    members = _members(path)
    manifest = json.loads(members["manifest.json"])
    manifest.update(change)
    for name, data in extra.items():
        members[name] = data
        manifest["members"].append(
            {"name": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        )
    members["manifest.json"] = json.dumps(manifest).encode()
    out.write_bytes(_rezip(members))


def test_a_newer_minor_version_with_new_members_still_opens(
    snapshot_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "minor.wfsnap"
    _with_manifest(snapshot_file, out, {"schema_version": "1.9"}, {"future/extra.json": b"{}"})
    snapshot = read_snapshot(out)
    assert snapshot.schema_version == "1.9"
    assert snapshot.analysis == read_snapshot(snapshot_file).analysis


def test_a_newer_major_version_is_refused_clearly(snapshot_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "major.wfsnap"
    _with_manifest(snapshot_file, out, {"schema_version": "2.0"}, {})
    with pytest.raises(SnapshotError, match=r"newer Watchfloor \(snapshot schema 2\.0\)") as info:
        read_snapshot(out)
    assert "\n" not in str(info.value)


# -- damaged and tampered files -------------------------------------------------------------


def _error(path: Path) -> str:
    with pytest.raises(SnapshotError) as info:
        read_snapshot(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    return message


def test_truncated_file_gives_a_clear_error(snapshot_file: Path, tmp_path: Path) -> None:
    data = snapshot_file.read_bytes()
    for cut in (len(data) // 2, len(data) - 10, 100):
        path = tmp_path / f"cut{cut}.wfsnap"
        path.write_bytes(data[:cut])
        assert "not a readable snapshot" in _error(path)


def test_tampered_member_fails_its_checksum(snapshot_file: Path, tmp_path: Path) -> None:
    members = _members(snapshot_file)
    analysis = json.loads(members["analysis.json"])
    analysis["domains"][0]["root_causes"][0]["component"] = "someone-else"
    members["analysis.json"] = json.dumps(analysis).encode()
    path = tmp_path / "tampered.wfsnap"
    path.write_bytes(_rezip(members))
    assert "analysis.json does not match its SHA-256" in _error(path)


def test_flipped_byte_inside_the_archive_is_caught(snapshot_file: Path, tmp_path: Path) -> None:
    data = bytearray(snapshot_file.read_bytes())
    with zipfile.ZipFile(snapshot_file) as archive:
        info = archive.getinfo("observations.ndjson")
    data[info.header_offset + 200] ^= 0xFF  # inside the compressed member
    path = tmp_path / "flipped.wfsnap"
    path.write_bytes(bytes(data))
    message = _error(path)
    assert "observations.ndjson" in message


def test_missing_member_is_named(snapshot_file: Path, tmp_path: Path) -> None:
    members = _members(snapshot_file)
    path = tmp_path / "missing.wfsnap"
    path.write_bytes(_rezip(members, [n for n in members if n != "topology.json"]))
    assert "member topology.json is missing" in _error(path)


def test_other_files_are_not_snapshots(tmp_path: Path) -> None:
    text = tmp_path / "notes.wfsnap"
    text.write_text("hello")
    assert "not a readable snapshot" in _error(text)
    plain_zip = tmp_path / "plain.wfsnap"
    plain_zip.write_bytes(_rezip({"readme.txt": b"hi"}))
    assert "no manifest.json" in _error(plain_zip)
    assert "cannot read" in _error(tmp_path / "absent.wfsnap")


def test_snapshot_bytes_refuses_unknown_images(topology: Topology, records: list[Record]) -> None:
    content = build_content(topology, records, SnapshotOptions(at=AT))
    with pytest.raises(SnapshotError, match="unknown image"):
        snapshot_bytes(content, {"images/other.png": b""})


def test_resolved_alerts_in_the_window_are_listed(
    topology: Topology, records: list[Record]
) -> None:
    content = build_content(topology, records, SnapshotOptions(at=AT))
    statuses = {row["status"] for row in content.alerts}
    assert statuses == {Status.FIRING.value, Status.RESOLVED.value}
