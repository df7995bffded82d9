"""A snapshot as a `Source`: its alerts replayed on its topology, read-only.

Opening a `.wfsnap` reads and verifies it (core.snapshot.archive), builds a
`ReplayPlayer` over the observations it carries and seeks to the snapshot's
time, so the views show exactly what the exporting operator saw; the replay
bar's time slider moves through the snapshot's alerts (play, step, seek) like
any replay. A snapshot of one domain shows it under its original id (the
manifest's `engine.domain_ids`, applied by the engine). The snapshot's notes
and acknowledgements are shown by the incidents view, which refuses new
operator actions on it. Nothing is written back: the file is never changed
and is not remembered as the "last files".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from console.replay_source import ReplaySource
from core.replay import ReplayPlayer
from core.snapshot.archive import Snapshot, read_snapshot


@dataclass(frozen=True, slots=True)
class OpenedSnapshot:
    """A verified snapshot and a player positioned at its time (built off the GUI thread)."""

    snapshot: Snapshot
    player: ReplayPlayer


def load_snapshot(path: str | Path) -> OpenedSnapshot:
    """Read, verify and position a snapshot (raises SnapshotError with one line)."""
    snapshot = read_snapshot(path)
    player = ReplayPlayer(snapshot.topology, snapshot.records, snapshot.config)
    # The slider ends at the snapshot's time, even when the last alert came earlier.
    if player.end_time is None or player.end_time < snapshot.when:
        player.end_time = snapshot.when
    if player.start_time is None:
        player.start_time = snapshot.window_start
    player.seek(snapshot.when)
    return OpenedSnapshot(snapshot, player)


def snapshot_title(snapshot: Snapshot) -> str:
    """What the status bar and window title call the source."""
    scope = f", domain {snapshot.domain}" if snapshot.domain else ""
    return f"{snapshot.name} (snapshot{scope}, read-only)"


class SnapshotSource(ReplaySource):
    """A `ReplaySource` over a snapshot's observations; it also carries the snapshot."""

    def __init__(self, *args: Any, snapshot: Snapshot | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.snapshot = snapshot
        """What was opened: its operator actions go to the incidents view (read-only)."""

    @property
    def read_only(self) -> bool:
        return True
