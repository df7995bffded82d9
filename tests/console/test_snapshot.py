"""Snapshots in the console: images, the headless command, open (read-only) and export."""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from console.app import UsageError, parse_open
from console.app import main as cli_main
from console.main_window import MainWindow
from console.session import Session
from console.snapshot_commands import ExportRequest, SnapshotExport
from console.snapshot_images import TOPOLOGY_SIZE, TRENDS_SIZE, render_images
from console.snapshot_source import SnapshotSource
from core.graph.loaders import load_topology
from core.graph.topology import Topology
from core.model import parse_time
from core.snapshot.archive import read_snapshot
from core.snapshot.content import SnapshotContent, SnapshotOptions
from core.snapshot.export import export_snapshot
from core.snapshot.redact import parse_patterns
from core.timeline import Record, load_records

DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo"
AT_TEXT = "2026-11-26T02:45:00Z"
AT = parse_time(AT_TEXT)


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.fixture(scope="module")
def demo_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo at 02:45, exported by the headless command (images included)."""
    out = tmp_path_factory.mktemp("cli") / "demo.wfsnap"
    code = cli_main(
        [
            "snapshot",
            "--topology",
            str(DEMO / "topology.json"),
            "--replay",
            str(DEMO / "alerts.ndjson.gz"),
            "--at",
            AT_TEXT,
            "--out",
            str(out),
        ]
    )
    assert code == 0
    return out


def test_headless_command_writes_images_and_is_byte_identical(
    demo_snapshot: Path, tmp_path: Path
) -> None:
    with zipfile.ZipFile(demo_snapshot) as archive:
        topology_png = archive.read("images/topology.png")
        trends_png = archive.read("images/trends.png")
        report = archive.read("report.html").decode()
    assert _png_size(topology_png) == TOPOLOGY_SIZE
    assert _png_size(trends_png) == TRENDS_SIZE
    assert "data:image/png;base64," in report
    again = tmp_path / "again.wfsnap"
    assert (
        cli_main(
            [
                "snapshot",
                "--topology",
                str(DEMO / "topology.json"),
                "--replay",
                str(DEMO / "alerts.ndjson.gz"),
                "--at",
                AT_TEXT,
                "--out",
                str(again),
            ]
        )
        == 0
    )
    assert again.read_bytes() == demo_snapshot.read_bytes()


def test_headless_command_reports_bad_arguments_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    replay, out = str(DEMO / "alerts.ndjson.gz"), str(tmp_path / "x")

    def argv(*extra: str, source: str = replay, target: str = out) -> list[str]:
        topology = str(DEMO / "topology.json")
        return ["snapshot", "--topology", topology, "--replay", source, "--out", target, *extra]

    cases = [
        (argv("--window", "soon"), "--window: not a duration"),
        (argv("--redact", "re:("), "not a regular expression"),
        (argv(source=str(tmp_path / "none.ndjson")), "none.ndjson"),
        (argv(target=str(tmp_path / "no" / "x")), "no such folder"),
        (argv("--domain", "D0", "--at", AT_TEXT, "--no-images"), "no open failure domain 'D0'"),
    ]
    for arguments, message in cases:
        assert cli_main(arguments) == 2
        err = capsys.readouterr().err.strip()
        assert message in err and "\n" not in err and "Traceback" not in err


def test_images_are_drawn_from_redacted_content_only(tmp_path: Path) -> None:
    topology = load_topology(DEMO / "topology.json")
    records = load_records(DEMO / "alerts.ndjson.gz")
    seen: list[SnapshotContent] = []

    def spy(content: SnapshotContent) -> dict[str, bytes]:
        seen.append(content)
        return render_images(content)

    path = tmp_path / "shared.wfsnap"
    export_snapshot(
        path,
        topology,
        records,
        SnapshotOptions(at=AT),
        patterns=parse_patterns(["hostnames", "ip"]),
        key=b"k",
        render=spy,
    )
    [content] = seen
    drawn = json.dumps([content.topology, content.alerts, content.analysis, content.trends])
    for original in ("node-r03-01", "core-rtr-1", "tor-r03", "10.31.7.22"):
        assert original not in drawn
    labels = {n["id"] for n in content.topology["nodes"]}
    assert any(label.startswith("host-") for label in labels)
    with zipfile.ZipFile(path) as archive:
        assert _png_size(archive.read("images/topology.png")) == TOPOLOGY_SIZE


def test_open_parses_and_refuses_damaged_files(demo_snapshot: Path, tmp_path: Path) -> None:
    options = parse_open([str(demo_snapshot), "--theme", "light"])
    assert options.snapshot == demo_snapshot and options.theme == "light"
    cut = tmp_path / "cut.wfsnap"
    cut.write_bytes(demo_snapshot.read_bytes()[:5000])
    with pytest.raises(UsageError, match="not a readable snapshot"):
        parse_open([str(cut)])
    with pytest.raises(UsageError, match="name a snapshot file"):
        parse_open([])
    with pytest.raises(UsageError, match="no such file"):
        parse_open([str(tmp_path / "absent.wfsnap")])


def _open(qtbot: QtBot, session: Session, path: Path) -> None:
    with qtbot.waitSignal(session.sig_loaded, timeout=30_000):
        session.open_snapshot(path)


def test_opened_snapshot_shows_the_same_domains_read_only(
    qtbot: QtBot, session: Session, demo_snapshot: Path
) -> None:
    _open(qtbot, session, demo_snapshot)
    source = session.replay
    assert isinstance(source, SnapshotSource) and source.read_only
    assert "snapshot" in session.source_name and "read-only" in session.source_name
    assert session.topology_path is None and session.replay_path is None  # not "last files"
    expected = read_snapshot(demo_snapshot).analysis["domains"]
    shown = session.bridge.engine.domains()
    assert [d.id for d in shown] == [d["id"] for d in expected]
    for view, want in zip(shown, expected, strict=True):
        assert list(view.members) == want["members"]
        assert [c.component for c in view.root_causes] == [
            c["component"] for c in want["root_causes"]
        ]
        assert list(view.alerts) == want["alerts"]
    # the time slider moves through the snapshot's alerts
    assert source.start_time is not None and source.end_time == AT
    with qtbot.waitSignal(source.sig_seek_finished, timeout=30_000):
        source.seek(parse_time("2026-11-26T02:10:00Z"))
    assert len(session.bridge.engine.domains()) != len(expected)


def test_opening_a_tampered_snapshot_reports_one_line(
    qtbot: QtBot, session: Session, demo_snapshot: Path, tmp_path: Path
) -> None:
    data = bytearray(demo_snapshot.read_bytes())
    with zipfile.ZipFile(demo_snapshot) as archive:
        offset = archive.getinfo("analysis.json").header_offset
    data[offset + 120] ^= 0x55
    bad = tmp_path / "bad.wfsnap"
    bad.write_bytes(bytes(data))
    with qtbot.waitSignal(session.sig_error, timeout=30_000) as blocker:
        session.open_snapshot(bad)
    message = blocker.args[0]
    assert "analysis.json" in message and "\n" not in message
    assert session.replay is None


def test_export_from_the_window_with_progress(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, demo_topology: Topology,
    demo_records: list[Record],
) -> None:  # fmt: skip
    for name in ("file.open_snapshot", "file.export_snapshot", "file.export_domain_snapshot"):
        assert name in window.actions_by_id
    session = window.session
    with qtbot.waitSignal(session.sig_loaded, timeout=30_000):
        session.open_demo(at=AT, autoplay=False)
    out = tmp_path / "from-window.wfsnap"
    export = SnapshotExport(window.commands, ExportRequest(out, None, ["ip"]))
    messages: list[str] = []
    export.finished = messages.append
    export.start()
    qtbot.waitUntil(lambda: bool(messages), timeout=60_000)
    assert messages[0].startswith("Exported from-window.wfsnap"), messages
    snapshot = read_snapshot(out)
    assert snapshot.manifest["redaction"] == ["ip"]
    assert "images/topology.png" in snapshot.images
    from core.analysis import analyze_records

    original = analyze_records(demo_topology, demo_records, at=AT).to_json()
    assert [d["id"] for d in snapshot.analysis["domains"]] == [d["id"] for d in original["domains"]]
    assert "10.31.7.22" not in out.read_bytes().decode("latin-1")
    # one domain, chosen in the window
    first = original["domains"][0]["id"]
    window.selection.set_domain(first)
    one = tmp_path / "one.wfsnap"
    export = SnapshotExport(window.commands, ExportRequest(one, first, []))
    export.finished = messages.append
    export.start()
    qtbot.waitUntil(lambda: len(messages) == 2, timeout=60_000)
    assert [d["id"] for d in read_snapshot(one).analysis["domains"]] == [first]
    # reopened, it shows the domain under the same id (not renumbered D1)
    _open(qtbot, session, one)
    assert [d.id for d in session.bridge.engine.domains()] == [first]
    assert first != "D1"


def test_export_with_a_bad_pattern_says_so(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    session = window.session
    with qtbot.waitSignal(session.sig_loaded, timeout=30_000):
        session.open_demo(at=AT, autoplay=False)
    messages: list[str] = []
    export = SnapshotExport(window.commands, ExportRequest(tmp_path / "x.wfsnap", None, ["re:("]))
    export.finished = messages.append
    export.start()
    assert messages and "not a regular expression" in messages[0]
    assert not (tmp_path / "x.wfsnap").exists()


def test_png_encoding_is_lossless(qapp: object) -> None:
    from PySide6.QtGui import QColor, QImage, QPainter

    from console.snapshot_images import encode_png

    image = QImage(37, 23, QImage.Format.Format_RGB32)  # odd sizes: padded rows
    image.fill(QColor("#102030"))
    painter = QPainter(image)
    painter.fillRect(3, 4, 20, 9, QColor("#ff8c1a"))
    painter.drawLine(0, 22, 36, 0)
    painter.end()
    data = encode_png(image)
    assert data == encode_png(image)
    back = QImage()
    assert back.loadFromData(data)
    back = back.convertToFormat(QImage.Format.Format_RGB888)
    assert back == image.convertToFormat(QImage.Format.Format_RGB888)


@pytest.fixture(scope="module")
def annotated_snapshot(
    tmp_path_factory: pytest.TempPathFactory, demo_topology: Topology, demo_records: list[Record]
) -> Path:
    """The demo at 02:45 with night-shift's acknowledgement and note on D3 (no images)."""
    from core.operator import OperatorLog

    log = OperatorLog()
    log.acknowledge("D3", "night-shift", AT - 300)
    log.note("D3", "night-shift", "kafka-2 disk full, vendor ticket 4711", AT - 200)
    out = tmp_path_factory.mktemp("annotated") / "annotated.wfsnap"
    export_snapshot(
        out, demo_topology, demo_records, SnapshotOptions(at=AT, operator_actions=log.actions)
    )
    return out


def test_snapshot_notes_show_read_only_and_do_not_leak_into_a_replay(
    qtbot: QtBot, window: MainWindow, annotated_snapshot: Path
) -> None:
    from console.views.incidents import IncidentsView

    session = window.session
    incidents = window.views["incidents"]
    assert isinstance(incidents, IncidentsView)
    _open(qtbot, session, annotated_snapshot)
    window.selection.set_domain("D3")
    qtbot.waitUntil(lambda: incidents.selected_domain == "D3", timeout=10_000)
    # the snapshot's own acknowledgement and note, in the list and the detail pane
    assert incidents.operator_log.state("D3").acked_by == "night-shift"
    assert "ack night-shift" in incidents.model.cell("D3", 6, Qt.ItemDataRole.DisplayRole)
    qtbot.waitUntil(lambda: "vendor ticket 4711" in incidents.detail_text(), timeout=10_000)
    # acknowledging, assigning or noting is refused, and the status bar says why
    before = incidents.operator_log.actions
    with qtbot.waitSignal(incidents.sig_message, timeout=5_000) as blocker:
        window.commands.acknowledge()  # the A key
    assert "read-only snapshot" in blocker.args[0] and "acknowledge" in blocker.args[0]
    assert "read-only snapshot" in window.status.currentMessage()
    with qtbot.waitSignal(incidents.sig_message, timeout=5_000):
        assert incidents.toggle_ack_selected() is None
    with qtbot.waitSignal(incidents.sig_message, timeout=5_000):
        assert incidents.assign_selected_to_me() is None
    with qtbot.waitSignal(incidents.sig_message, timeout=5_000) as blocker:
        assert incidents.add_note("my own note") is None
    assert "add a note" in blocker.args[0]
    assert incidents.operator_log.actions == before
    assert incidents.operator_log.state("D3").acked_by == "night-shift"  # not toggled off
    # a replay opened afterwards shows none of it, and takes operator actions again
    with qtbot.waitSignal(session.sig_loaded, timeout=30_000):
        session.open_demo(at=AT, autoplay=False)
    window.selection.set_domain("D3")
    qtbot.waitUntil(lambda: incidents.selected_domain == "D3", timeout=10_000)
    assert incidents.read_only is None
    assert len(incidents.operator_log) == 0
    assert not incidents.operator_log.state("D3").acknowledged
    assert "vendor ticket 4711" not in incidents.detail_text()
    assert incidents.model.cell("D3", 6, Qt.ItemDataRole.DisplayRole) == "unacknowledged"
    assert incidents.acknowledge_selected() is not None
    assert incidents.operator_log.state("D3").acked_by == incidents.who


def test_images_use_the_bundled_font(qapp: object, tmp_path: Path) -> None:
    from PySide6.QtGui import QFontDatabase

    import console.snapshot_images as images

    images._ensure_fonts()
    assert len(images._FONTS_LOADED) == len(images._FONT_FILES)
    for ident in images._FONTS_LOADED:
        assert QFontDatabase.applicationFontFamilies(ident) == ["DejaVu Sans"]
    licence = (images.FONTS_DIR / "LICENSE-DejaVu.txt").read_text()
    assert "Bitstream" in licence and "public domain" in licence
    # a missing or wrong font file is an error, not a silent fallback to the system's
    wrong = tmp_path / "fonts"
    wrong.mkdir()
    (wrong / "DejaVuSans.ttf").write_bytes(b"not a font")
    loaded, folder = list(images._FONTS_LOADED), images.FONTS_DIR
    images._FONTS_LOADED.clear()
    images.FONTS_DIR = wrong
    try:
        with pytest.raises(RuntimeError, match="cannot load the bundled font"):
            images._ensure_fonts()
    finally:
        images.FONTS_DIR = folder
        images._FONTS_LOADED[:] = loaded
