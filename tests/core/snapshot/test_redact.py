"""Redaction: stable pseudonyms, and no original value left anywhere in the archive."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from core.graph.loaders import load_topology
from core.model import AlertEvent, parse_time
from core.snapshot.archive import read_snapshot
from core.snapshot.content import SnapshotOptions
from core.snapshot.export import export_snapshot, redaction_key
from core.snapshot.redact import HOST_KINDS, RedactionError, Redactor, parse_patterns
from core.timeline import load_records

DEMO = Path(__file__).resolve().parents[3] / "resources" / "demo"
AT = parse_time("2026-11-26T02:45:00Z")
PATTERNS = ["ip", "hostnames", "label:cluster", "re:team-[a-z]+", "text:runbooks"]


def test_same_value_same_pseudonym_and_kinds_by_prefix() -> None:
    redactor = Redactor(parse_patterns(["ip", "hostnames", "label:team"]), b"k")
    redactor.learn([{"instance": "web-7:9100", "team": "payments"}])
    first = redactor.text("web-7 at 10.1.2.3 (team payments), db.example.org; 10.1.2.3 again")
    assert "web-7" not in first and "10.1.2.3" not in first and "payments" not in first
    assert "db.example.org" not in first
    pseudonyms = re.findall(r"(?:ip|host|team)-[0-9a-f]{6}", first)
    ip_names = [p for p in pseudonyms if p.startswith("ip-")]
    assert len(ip_names) == 2 and ip_names[0] == ip_names[1]  # consistent
    assert any(p.startswith("host-") for p in pseudonyms)
    assert any(p.startswith("team-") for p in pseudonyms)
    assert redactor.text("web-7") == redactor.text("web-7")
    # another key, other pseudonyms; the same key, the same ones
    other = Redactor(parse_patterns(["ip"]), b"other")
    again = Redactor(parse_patterns(["ip"]), b"k")
    assert other.text("10.1.2.3") != again.text("10.1.2.3")
    assert again.text("10.1.2.3") == Redactor(parse_patterns(["ip"]), b"k").text("10.1.2.3")


def test_times_and_versions_are_not_taken_for_addresses() -> None:
    redactor = Redactor(parse_patterns(["ip"]), b"k")
    text = "02:45:00 v1.2.3 fe80::1 2001:db8:0:0:0:0:0:1 300.1.1.1"
    out = redactor.text(text)
    assert out.startswith("02:45:00 v1.2.3 ip-")
    assert "fe80::1" not in out and "2001:db8" not in out
    assert "300.1.1.1" in out  # not an address


def test_user_regex_with_groups_and_structure_is_kept() -> None:
    redactor = Redactor(parse_patterns([r"re:cust-(\d+)", "label:severity"]), b"k")
    redactor.learn([{"severity": "critical"}])
    value = redactor.value(
        {"severity": "critical", "labels": {"cust-42": "cust-42 critical"}, "edges": ["cust-7"]}
    )
    assert value["severity"] == "critical"  # an enumeration the reader needs
    [(name, text)] = value["labels"].items()
    assert name.startswith("redacted-") and "cust-42" not in text and "critical" not in text
    assert value["edges"][0].startswith("redacted-")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("re:(", "not a regular expression"),
        ("re:a*", "matches empty text"),
        ("label:", "give a label name"),
        ("text:", "give the text"),
        (r"re:(a)\1", "group references"),
    ],
)
def test_bad_patterns_are_refused_in_one_line(spec: str, message: str) -> None:
    with pytest.raises(RedactionError, match=message):
        parse_patterns([spec])


def test_key_comes_from_the_environment_or_the_inputs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WATCHFLOOR_REDACT_KEY", raising=False)
    assert redaction_key([b"a", b"b"]) == redaction_key([b"a", b"b"])
    assert redaction_key([b"a", b"b"]) != redaction_key([b"a", b"c"])
    monkeypatch.setenv("WATCHFLOOR_REDACT_KEY", "s3cret")
    assert redaction_key([b"a"]) == redaction_key([b"z"])


def _originals() -> set[str]:
    """Every value the demo patterns must hide, collected independently of the redactor."""
    records = load_records(DEMO / "alerts.ndjson.gz")
    topology = load_topology(DEMO / "topology.json")
    values: set[str] = {"runbooks"}
    ipv4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
    fqdn = re.compile(r"\b(?:[a-z0-9-]+\.)+[a-z]{2,}\b")
    for record in records:
        for item in record.items:
            if not isinstance(item, AlertEvent):
                continue
            for mapping in (item.labels, item.annotations):
                for text in mapping.values():
                    values.update(ipv4.findall(text))
                    values.update(m for m in fqdn.findall(text) if not m[0].isdigit())
                    values.update(re.findall(r"team-[a-z]+", text))
            labels = item.labels
            for name in ("host", "hostname", "node", "cluster"):
                if labels.get(name):
                    values.add(labels[name])
            if labels.get("instance"):
                values.add(labels["instance"].rsplit(":", 1)[0])
    for attrs, node_id in zip(topology.attrs, topology.ids, strict=True):
        if attrs.get("kind") in HOST_KINDS:
            values.add(node_id)
    return values


def test_redaction_leaves_no_original_value_in_any_member(tmp_path: Path) -> None:
    topology = load_topology(DEMO / "topology.json")
    records = load_records(DEMO / "alerts.ndjson.gz")
    originals = _originals()
    assert {"10.31.7.22", "node-r03-01", "core-rtr-1", "prod-eu-1", "team-orders"} <= originals
    path = tmp_path / "shared.wfsnap"
    key = redaction_key([b"demo"])
    export_snapshot(
        path,
        topology,
        records,
        SnapshotOptions(at=AT, topology_name="topology.json", replay_name="alerts.ndjson.gz"),
        patterns=parse_patterns(PATTERNS),
        key=key,
    )
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    assert len(members) >= 10
    for name, data in members.items():
        for value in originals:
            assert value.encode() not in data, f"{value!r} left in {name}"
    # ... and the snapshot still makes sense: same domains, same first root cause
    snapshot = read_snapshot(path)
    assert snapshot.manifest["redaction"] == ["hostnames", "ip", "label", "regex", "text"]
    reopened = {d["id"]: d for d in snapshot.analyze().to_json()["domains"]}
    for domain in snapshot.analysis["domains"]:
        again = reopened[domain["id"]]
        assert set(again["members"]) == set(domain["members"])
        assert set(again["alerts"]) == set(domain["alerts"])
        assert again["root_causes"][0] == domain["root_causes"][0]
    # byte-identical with the same key
    second = tmp_path / "again.wfsnap"
    export_snapshot(
        second,
        topology,
        records,
        SnapshotOptions(at=AT, topology_name="topology.json", replay_name="alerts.ndjson.gz"),
        patterns=parse_patterns(PATTERNS),
        key=key,
    )
    assert second.read_bytes() == path.read_bytes()
