"""File > Open snapshot and File > Export snapshot (everything, or the selected domain).

Exporting takes what the window shows: the current source's topology and
records, as of the replay clock, with the incidents view's operator actions.
The analysis and selection run in the background worker, the images are drawn
on the GUI thread (QPainter on QImage, under 0.1 s for the demo), and they are
encoded, packed and written atomically in the worker again; a progress dialog shows
each step and the window stays responsive.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QInputDialog, QProgressDialog, QWidget

from console.snapshot_source import SnapshotSource
from core.model import format_time
from core.snapshot.content import SnapshotContent, SnapshotOptions

if TYPE_CHECKING:
    from console.commands import Commands

log = logging.getLogger(__name__)

SNAPSHOT_FILTER = "Watchfloor snapshots (*.wfsnap);;All files (*)"


def open_snapshot(commands: Commands) -> None:
    """Ask for a `.wfsnap` and show it read-only."""
    path, _ = QFileDialog.getOpenFileName(
        commands.shell.window_widget(), "Open snapshot", str(Path.home()), SNAPSHOT_FILTER
    )
    if path:
        commands.session.open_snapshot(path)


def export_snapshot(commands: Commands, *, domain_only: bool = False) -> None:
    """Ask where (and what to redact), then export with a progress dialog."""
    shell = commands.shell
    replay = commands.session.replay
    if replay is None:
        shell.show_message("Nothing to export: open a replay, the demo or a snapshot first.")
        return
    domain = commands.selection.domain if domain_only else None
    if domain_only and domain is None:
        shell.show_message("Select a failure domain first (N: next critical).")
        return
    stamp = format_time(replay.time).replace(":", "").replace("-", "")
    suggested = f"incident-{stamp}{'-' + domain if domain else ''}.wfsnap"
    path, _ = QFileDialog.getSaveFileName(
        shell.window_widget(), "Export snapshot", suggested, SNAPSHOT_FILTER
    )
    if not path:
        return
    if not path.endswith(".wfsnap"):
        path += ".wfsnap"
    text, ok = QInputDialog.getText(
        shell.window_widget(),
        "Redact before sharing",
        "Replace by pseudonyms (space separated: ip hostnames label:NAME text:VALUE re:REGEX;"
        " empty for none):",
    )
    if not ok:
        return
    request = ExportRequest(Path(path), domain, text.split())
    SnapshotExport(commands, request).start()


@dataclass(frozen=True, slots=True)
class ExportRequest:
    """What the operator asked for."""

    path: Path
    domain: str | None
    redact: list[str]


class SnapshotExport:
    """One export: background analysis, images on the GUI thread, background write."""

    def __init__(self, commands: Commands, request: ExportRequest) -> None:
        self.commands = commands
        self.request = request
        self.dialog = QProgressDialog(
            "Exporting snapshot\u2026", "", 0, 100, commands.shell.window_widget()
        )
        self.dialog.setWindowTitle("Export snapshot")
        self.dialog.setCancelButton(None)
        self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog.setMinimumDuration(0)
        self.finished: Callable[[str], None] | None = None
        """Called with the status message when done (tests wait on it)."""

    def start(self) -> None:
        from core.snapshot.export import redaction_key
        from core.snapshot.redact import RedactionError, parse_patterns

        session = self.commands.session
        replay = session.replay
        assert replay is not None
        try:
            patterns = parse_patterns(self.request.redact)
        except RedactionError as exc:
            self._finish(str(exc))
            return
        player = replay.player
        topology, records = player.topology, player.records
        at = replay.time
        actions = _operator_actions(self.commands.shell.view("incidents"))
        inputs = _input_files(session, replay)
        options = SnapshotOptions(
            at=at,
            domain=self.request.domain,
            config=player.config,
            topology_name=inputs[0].name if inputs else topology.source,
            replay_name=replay.name,
            source_kind="snapshot" if isinstance(replay, SnapshotSource) else "replay",
            operator_actions=actions,
        )
        background = session.background
        self.dialog.setValue(1)
        self.dialog.show()

        def progress(fraction: float, text: str) -> None:
            background.call_soon(lambda: self._progress(fraction, text))

        def build() -> SnapshotContent:
            from core.snapshot.content import build_content, redact_content
            from core.snapshot.redact import Redactor

            content = build_content(topology, records, options, progress=progress)
            if patterns:
                progress(0.72, "Redacting")
                # The key: the source files, else the observations themselves.
                from core.snapshot.content import write_json_bytes

                sources = [path.read_bytes() for path in inputs]
                key = redaction_key(sources or [write_json_bytes(content.observations)])
                content = redact_content(content, Redactor(patterns, key))
            return content

        background.submit(build, self._draw, self._failed)

    def _draw(self, content: SnapshotContent) -> None:
        from console.snapshot_images import draw_images, encode_images

        self._progress(0.8, "Drawing images")
        try:
            drawn = draw_images(content)
        except Exception as exc:  # reported in one line, never a crash
            self._failed(exc)
            return
        self._progress(0.9, "Writing")
        path = self.request.path

        def write() -> int:
            from core.snapshot.archive import snapshot_bytes
            from core.snapshot.content import atomic_write

            payload = snapshot_bytes(content, encode_images(drawn))
            atomic_write(path, payload)
            return len(payload)

        self.commands.session.background.submit(
            write, lambda size: self._finish(f"Exported {path.name} ({size:,} bytes)"), self._failed
        )

    def _progress(self, fraction: float, text: str) -> None:
        self.dialog.setLabelText(f"{text}\u2026")
        self.dialog.setValue(max(1, min(99, round(fraction * 100))))

    def _failed(self, exc: BaseException) -> None:
        log.warning("snapshot export failed: %s", exc)
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        self._finish(f"Export failed: {first}")

    def _finish(self, message: str) -> None:
        self.dialog.setValue(100)
        self.dialog.close()
        self.dialog.deleteLater()
        self.commands.shell.show_message(message)
        if self.finished is not None:
            self.finished(message)


def _operator_actions(view: QWidget | None) -> tuple[Any, ...]:
    log_ = getattr(view, "operator_log", None)
    actions = getattr(log_, "actions", ())
    return tuple(actions)


def _input_files(session: Any, replay: Any) -> list[Path]:
    """The files the source came from (the redaction key is made from them)."""
    if isinstance(replay, SnapshotSource) and replay.snapshot is not None:
        return [replay.snapshot.path]
    files = [p for p in (session.topology_path, session.replay_path) if p is not None]
    return [p for p in files if os.path.isfile(p)]
