"""The `.wfsnap` file: a deterministic zip with a versioned, checksummed manifest.

Writing: members in a fixed order (`manifest.json` first), every entry dated
1980-01-01 00:00:00 with fixed permissions and host system, JSON with sorted
keys, text deflated at level 9 and PNG stored, so the same content gives a
byte-identical file. The file is written to a temp file and renamed.

Reading: `read_snapshot` checks, in this order, that the file is a zip, that
it has a manifest of a Watchfloor snapshot, that its schema major version is
one this Watchfloor reads (a newer major is refused with a clear message; a
newer minor of a known major is read, unknown members ignored), and that
every listed member is present and matches its SHA-256. Any failure is one
`SnapshotError` line. The manifest's major version picks the reader
(`_READERS`), so a file written today stays readable when the format grows.
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.analysis import Analysis, analyze_records
from core.engine import EngineConfig
from core.graph.loaders import TopologyError, load_topology
from core.graph.topology import Topology
from core.model import AlertEvent, Envelope, Rejected, Severity, Status, format_time
from core.operator import ActionKind, OperatorAction
from core.snapshot.content import SnapshotContent, atomic_write, write_json_bytes
from core.snapshot.report import alerts_csv, render_html
from core.timeline import Record

__all__ = [
    "FORMAT",
    "SCHEMA_VERSION",
    "Snapshot",
    "SnapshotError",
    "read_snapshot",
    "snapshot_bytes",
    "write_snapshot",
]

FORMAT = "watchfloor-snapshot"
SCHEMA_VERSION = "1.1"
"""major.minor: a reader reads every minor of the majors it knows (1.1 added
`engine.domain_ids`, which a 1.0 reader ignores)."""
IMAGE_NAMES = ("images/topology.png", "images/trends.png")
_EPOCH = (1980, 1, 1, 0, 0, 0)
_MAX_MEMBER = 1 << 30  # 1 GiB uncompressed: a zip bomb is refused, not inflated
_MAX_MEMBERS = 256
_V1_REQUIRED = (
    "analysis.json",
    "alerts.json",
    "alerts.csv",
    "observations.ndjson",
    "domain-timeline.json",
    "trends.json",
    "explanations.json",
    "operator.json",
    "topology.json",
    "report.html",
)

Progress = Callable[[float, str], None]


class SnapshotError(ValueError):
    """A snapshot that cannot be written or read; the message is one line."""


def snapshot_bytes(content: SnapshotContent, images: Mapping[str, bytes] | None = None) -> bytes:
    """The `.wfsnap` archive for `content` (already redacted), as bytes."""
    images = dict(images or {})
    unknown = set(images) - set(IMAGE_NAMES)
    if unknown:
        raise SnapshotError(f"unknown image member(s): {', '.join(sorted(unknown))}")
    members: list[tuple[str, bytes]] = [
        ("analysis.json", write_json_bytes(content.analysis)),
        ("alerts.json", write_json_bytes(content.alerts)),
        ("alerts.csv", alerts_csv(content.alerts)),
        ("observations.ndjson", _ndjson(content.observations)),
        ("domain-timeline.json", write_json_bytes(content.timeline)),
        ("trends.json", write_json_bytes(content.trends)),
        ("explanations.json", write_json_bytes(content.explanations)),
        ("operator.json", write_json_bytes(content.operator)),
        ("topology.json", write_json_bytes(content.topology)),
    ]
    if content.risk is not None:
        members.append(("risk.json", write_json_bytes(content.risk)))
    for name in IMAGE_NAMES:
        if name in images:
            members.append((name, images[name]))
    names = ["manifest.json", *(name for name, _ in members), "report.html"]
    report = render_html(content, images, names).encode("utf-8")
    members.append(("report.html", report))
    manifest = _manifest(content, members)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in [("manifest.json", write_json_bytes(manifest)), *members]:
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.create_system = 3  # Unix, whatever machine writes it
            info.external_attr = 0o100644 << 16
            if name.endswith(".png"):
                info.compress_type = zipfile.ZIP_STORED
                archive.writestr(info, data)
            else:
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, data, compresslevel=9)
    return buffer.getvalue()


def write_snapshot(
    path: str | Path,
    content: SnapshotContent,
    images: Mapping[str, bytes] | None = None,
) -> int:
    """Write the archive atomically; returns its size in bytes."""
    target = Path(path)
    payload = snapshot_bytes(content, images)
    try:
        atomic_write(target, payload)
    except OSError as exc:
        raise SnapshotError(f"{target}: cannot write: {exc.strerror or exc}") from None
    return len(payload)


def _manifest(content: SnapshotContent, members: list[tuple[str, bytes]]) -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version

    try:
        generator = f"watchfloor {version('watchfloor')}"
    except PackageNotFoundError:
        generator = "watchfloor"
    return {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "generator": generator,
        "when": format_time(content.when),
        "when_epoch": content.when,
        "window": {
            "start": format_time(content.window_start),
            "end": format_time(content.window_end),
            "start_epoch": content.window_start,
            "end_epoch": content.window_end,
            "seconds": content.window_end - content.window_start,
        },
        "scope": content.scope,
        "source": content.source,
        "engine": content.engine,
        "redaction": content.redaction,
        "counts": {
            "domains": len(content.analysis["domains"]),
            "alerts": len(content.alerts),
            "observations": len(content.observations),
            "components": len(content.topology.get("nodes", [])),
        },
        "members": [
            {"name": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            for name, data in members
        ],
    }


def _ndjson(rows: list[dict[str, Any]]) -> bytes:
    return "".join(
        json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"
        for row in rows
    ).encode("utf-8")


# -- reading --------------------------------------------------------------------------------


@dataclass(slots=True)
class Snapshot:
    """A snapshot as read back: everything needed to show it read-only."""

    path: Path
    manifest: dict[str, Any]
    schema_version: str
    when: float
    window_start: float
    window_end: float
    domain: str | None
    source: dict[str, Any]
    config: EngineConfig
    topology: Topology
    analysis: dict[str, Any]
    alerts: list[dict[str, Any]]
    records: list[Record]
    timeline: list[dict[str, Any]]
    trends: dict[str, Any]
    explanations: dict[str, Any]
    operator: list[OperatorAction]
    risk: list[dict[str, Any]] | None
    report_html: str
    images: dict[str, bytes] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.name

    def analyze(self, at: float | None = None) -> Analysis:
        """Run the snapshot's observations through a fresh engine, as of `at` (default: when)."""
        return analyze_records(
            self.topology, self.records, at=self.when if at is None else at, config=self.config
        )


def read_snapshot(path: str | Path) -> Snapshot:
    """Open and verify a `.wfsnap` file (raises SnapshotError with one line)."""
    path = Path(path)
    where = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SnapshotError(f"{where}: cannot read: {exc.strerror or exc}") from None
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise SnapshotError(
            f"{where}: not a readable snapshot (not a zip archive, or truncated)"
        ) from None
    with archive:
        infos = archive.infolist()
        if len(infos) > _MAX_MEMBERS:
            raise SnapshotError(f"{where}: not a Watchfloor snapshot ({len(infos)} members)")
        raw_manifest = _member(archive, "manifest.json", where)
        if raw_manifest is None:
            raise SnapshotError(f"{where}: not a Watchfloor snapshot (no manifest.json)")
        try:
            manifest = json.loads(raw_manifest)
        except (ValueError, UnicodeDecodeError):
            raise SnapshotError(f"{where}: damaged snapshot: manifest.json is not JSON") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise SnapshotError(f"{where}: not a Watchfloor snapshot (unknown manifest format)")
        version = str(manifest.get("schema_version", ""))
        major = _major(version, where)
        reader = _READERS.get(major)
        if reader is None:
            newest = max(_READERS)
            if major > newest:
                raise SnapshotError(
                    f"{where}: written by a newer Watchfloor (snapshot schema {version}); "
                    f"this version reads schema {newest}.x: please update Watchfloor"
                )
            raise SnapshotError(f"{where}: unsupported snapshot schema {version}")
        members = _verified_members(archive, manifest, where)
    try:
        return reader(path, manifest, version, members)
    except SnapshotError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SnapshotError(f"{where}: damaged snapshot: unexpected content ({exc})") from None


def _major(version: str, where: str) -> int:
    head = version.split(".", 1)[0]
    if not head.isdigit():
        raise SnapshotError(f"{where}: damaged snapshot: bad schema version {version!r}")
    return int(head)


def _member(archive: zipfile.ZipFile, name: str, where: str) -> bytes | None:
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    if info.file_size > _MAX_MEMBER:
        raise SnapshotError(f"{where}: damaged snapshot: {name} is implausibly large")
    try:
        return archive.read(info)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError):
        raise SnapshotError(
            f"{where}: damaged snapshot: {name} cannot be read (truncated or corrupt)"
        ) from None


def _verified_members(
    archive: zipfile.ZipFile, manifest: Mapping[str, Any], where: str
) -> dict[str, bytes]:
    listed = manifest.get("members")
    if not isinstance(listed, list):
        raise SnapshotError(f"{where}: damaged snapshot: the manifest lists no members")
    members: dict[str, bytes] = {}
    for entry in listed:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise SnapshotError(f"{where}: damaged snapshot: bad member entry in the manifest")
        name = entry["name"]
        data = _member(archive, name, where)
        if data is None:
            raise SnapshotError(f"{where}: damaged snapshot: member {name} is missing")
        if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
            raise SnapshotError(
                f"{where}: damaged or tampered snapshot: {name} does not match its SHA-256"
            )
        members[name] = data
    return members


def _read_v1(
    path: Path, manifest: dict[str, Any], version: str, members: dict[str, bytes]
) -> Snapshot:
    where = str(path)
    for name in _V1_REQUIRED:
        if name not in members:
            raise SnapshotError(f"{where}: damaged snapshot: member {name} is missing")

    def load(name: str) -> Any:
        try:
            return json.loads(members[name])
        except (ValueError, UnicodeDecodeError):
            raise SnapshotError(f"{where}: damaged snapshot: {name} is not JSON") from None

    engine = manifest.get("engine", {})
    config = EngineConfig(
        component_labels=tuple(engine.get("component_labels") or EngineConfig().component_labels),
        bridging=bool(engine.get("bridging", True)),
        domain_min_severity=_severity(engine.get("domain_min_severity", "info")),
        # 1.1: a one-domain snapshot's fresh domain ids -> the ids it was exported with
        domain_names=tuple(
            sorted((str(k), str(v)) for k, v in dict(engine.get("domain_ids") or {}).items())
        ),
    )
    with tempfile.TemporaryDirectory(prefix="watchfloor-snapshot-") as folder:
        topology_file = Path(folder) / "topology.json"
        topology_file.write_bytes(members["topology.json"])
        try:
            topology = load_topology(topology_file)
        except TopologyError as exc:
            raise SnapshotError(f"{where}: damaged snapshot: topology.json: {exc}") from None
    topology.source = f"{path.name} (snapshot)"
    records = [
        Record(number, (_item(json.loads(line)),))
        for number, line in enumerate(members["observations.ndjson"].splitlines(), start=1)
        if line.strip()
    ]
    operator = [
        OperatorAction(ActionKind(row["kind"]), row["domain"], row["who"], float(row["at_epoch"]),
                       row.get("text", ""))
        for row in load("operator.json")
    ]  # fmt: skip
    window = manifest["window"]
    images = {name: members[name] for name in IMAGE_NAMES if name in members}
    return Snapshot(
        path=path,
        manifest=manifest,
        schema_version=version,
        when=float(manifest["when_epoch"]),
        window_start=float(window["start_epoch"]),
        window_end=float(window["end_epoch"]),
        domain=manifest.get("scope", {}).get("domain"),
        source=dict(manifest.get("source", {})),
        config=config,
        topology=topology,
        analysis=load("analysis.json"),
        alerts=load("alerts.json"),
        records=records,
        timeline=load("domain-timeline.json"),
        trends=load("trends.json"),
        explanations=load("explanations.json"),
        operator=operator,
        risk=load("risk.json") if "risk.json" in members else None,
        report_html=members["report.html"].decode("utf-8"),
        images=images,
    )


def _severity(label: str) -> Severity:
    return Severity[str(label).upper()]


def _item(row: dict[str, Any]) -> AlertEvent | Rejected:
    if row["type"] == "alert":
        return AlertEvent(
            fingerprint=str(row["fingerprint"]),
            status=Status(row["status"]),
            labels={str(k): str(v) for k, v in row["labels"].items()},
            annotations={str(k): str(v) for k, v in row["annotations"].items()},
            starts_at=float(row["starts_at"]),
            ends_at=None if row["ends_at"] is None else float(row["ends_at"]),
            event_time=float(row["event_time"]),
            severity=_severity(row["severity"]),
            generator_url=str(row.get("generator_url", "")),
            origin=str(row.get("origin", "")),
        )
    if row["type"] == "rejected":
        time = row.get("time")
        return Rejected(
            where=str(row["where"]),
            reason=str(row["reason"]),
            raw=str(row.get("raw", "")),
            envelope=None if time is None else Envelope(ts=float(time)),
        )
    raise ValueError(f"unknown observation type {row['type']!r}")


Reader = Callable[[Path, dict[str, Any], str, dict[str, bytes]], Snapshot]
_READERS: dict[int, Reader] = {1: _read_v1}
"""Schema major version -> reader. A new major adds a reader; old ones stay."""
