"""What the console is looking at: a topology, a source, and the engine bridge.

`Session` loads a topology and a replay off the GUI thread (progress shown
through `sig_progress`), then hands the views a fresh engine through the one
`EngineBridge` they were built with (`bridge.reset`). The bridge outlives
every source, so views are constructed once and simply reload on reset.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject, QTimer, Signal

from console.background import Background
from console.bridge import EngineBridge
from console.kafka_source import KafkaSource
from console.replay_source import ReplaySource
from console.source import SourceState
from console.views.canvas_geometry import load_hull_library
from core.engine import Engine
from core.graph.loaders import load_topology
from core.graph.topology import Topology
from core.ingest.kafka_live import LiveConsumer
from core.replay import ReplayPlayer
from core.timeline import load_records

if TYPE_CHECKING:
    from console.snapshot_source import OpenedSnapshot

RESOURCES = Path(__file__).resolve().parents[1] / "resources"
_T = TypeVar("_T")
DEMO_TOPOLOGY = RESOURCES / "demo" / "topology.json"
DEMO_REPLAY = RESOURCES / "demo" / "alerts.ndjson.gz"


def empty_topology() -> Topology:
    return Topology.from_edges([], [], source="")


@dataclass(frozen=True, slots=True)
class _Loaded:
    topology: Topology
    player: ReplayPlayer | None


class Session(QObject):
    """Owns the topology, the current source (a replay for now) and the bridge."""

    sig_source_changed = Signal(object)
    """A new source (a `ReplaySource`) replaced the old one; None when closed."""
    sig_progress = Signal(str, int, int)
    """Loading: what is happening, done, total (total 0: unknown, a busy indicator)."""
    sig_loaded = Signal()
    """A load finished (successfully or not); the window is usable either way."""
    sig_error = Signal(str)
    """Something the operator asked for failed; one line for the status bar."""
    sig_rate_changed = Signal(float)
    """The current source's events/s."""
    sig_state_changed = Signal(str)
    """The current source's `SourceState` value."""
    sig_time_changed = Signal(float)
    """The current source's clock (epoch seconds)."""
    sig_live_changed = Signal(object)
    """A live Kafka source (`KafkaSource`) started; None when it was dropped."""
    sig_live_status = Signal(object)
    """The live source's `LiveStatus`: connection, time down, lag per partition."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.topology = empty_topology()
        self.bridge = EngineBridge(Engine(self.topology))
        self.background = Background(self)
        self.replay: ReplaySource | None = None
        self.live: KafkaSource | None = None
        self.topology_path: Path | None = None
        self.replay_path: Path | None = None
        self.loading = False
        self._generation = 0  # a newer open() wins over an older one still loading

    @property
    def source_name(self) -> str:
        if self.live is not None:
            return self.live.name
        return self.replay.name if self.replay is not None else ""

    @property
    def state(self) -> SourceState:
        if self.live is not None:
            return self.live.state
        return self.replay.state if self.replay is not None else SourceState.IDLE

    def open(
        self,
        topology: str | Path,
        replay: str | Path | None = None,
        *,
        speed: float = 1.0,
        at: float | None = None,
        autoplay: bool = False,
    ) -> None:
        """Load a topology (and a replay) in the background; play it if asked."""
        topology_path = Path(topology)
        replay_path = Path(replay) if replay is not None else None
        generation = self._begin_load(f"Loading topology {topology_path.name}\u2026")
        report = self.background.call_soon

        def work() -> _Loaded:
            topo = load_topology(topology_path)
            if replay_path is None:
                return _Loaded(topo, None)

            def lines(done: int) -> None:
                report(lambda: self._progress(generation, f"Reading {replay_path.name}", done))

            report(lambda: self._progress(generation, f"Reading {replay_path.name}", 0))
            player = ReplayPlayer(topo, load_records(replay_path, progress=lines))
            if at is not None:
                player.seek(at)
            return _Loaded(topo, player)

        def done(loaded: _Loaded) -> None:
            self.topology_path, self.replay_path = topology_path, replay_path
            self._install(loaded, speed)
            self.loading = False
            self.sig_loaded.emit()
            if autoplay and self.replay is not None:
                self.replay.play()

        self._submit_load(generation, work, done)

    def open_demo(
        self, *, speed: float = 1.0, at: float | None = None, autoplay: bool = True
    ) -> None:
        self.open(DEMO_TOPOLOGY, DEMO_REPLAY, speed=speed, at=at, autoplay=autoplay)

    def open_live(self, topology: str | Path | None, feed: LiveConsumer) -> None:
        """Load a topology (none: every alert is unmapped), then consume live from Kafka."""
        topology_path = Path(topology) if topology is not None else None
        generation = self._begin_load("Loading topology\u2026")

        def work() -> Topology:
            return load_topology(topology_path) if topology_path else empty_topology()

        def done(topo: Topology) -> None:
            self._drop_replay()
            self.topology, self.topology_path, self.replay_path = topo, topology_path, None
            self.bridge.reset(Engine(topo))
            live = KafkaSource(feed, self.bridge, parent=self)
            live.sig_rate_changed.connect(self.sig_rate_changed)
            live.sig_state_changed.connect(self.sig_state_changed)
            live.sig_time_changed.connect(self.sig_time_changed)
            live.sig_status_changed.connect(self.sig_live_status)
            self.live = live
            self.loading = False
            self.sig_source_changed.emit(None)
            self.sig_live_changed.emit(live)
            self.sig_loaded.emit()
            live.start()

        self._submit_load(generation, work, done)

    def _begin_load(self, message: str) -> int:
        """A new load supersedes any in flight; returns its generation."""
        self._generation += 1
        self.loading = True
        self.sig_progress.emit(message, 0, 0)
        return self._generation

    def _submit_load(
        self, generation: int, work: Callable[[], _T], install: Callable[[_T], None]
    ) -> None:
        """Run `work` in the worker, then `install` its result here unless superseded.

        A failure is one line on `sig_error`; `sig_loaded` is emitted either way.
        """

        def done(result: _T) -> None:
            if generation == self._generation:
                install(result)
                QTimer.singleShot(0, lambda: self._warm_up_hulls(generation))  # once usable

        def failed(exc: BaseException) -> None:
            if generation != self._generation:
                return
            self.loading = False
            self.sig_error.emit(_one_line(exc))
            self.sig_loaded.emit()

        self.background.submit(work, done, failed)

    def _warm_up_hulls(self, generation: int) -> None:
        """Import scipy's hull library in the worker after the load, off the GUI thread.

        The first domain hull would otherwise import it on the GUI thread (a
        one-time 240-370 ms stall in the first alert burst); started once the
        load is installed, it does not compete with the window becoming usable.
        """
        if generation == self._generation:  # not superseded, not shut down
            self.background.submit(load_hull_library, lambda _: None, lambda _: None)

    def _drop_live(self) -> None:
        if self.live is not None:
            live, self.live = self.live, None
            live.stop()
            live.sig_rate_changed.disconnect(self.sig_rate_changed)
            live.sig_state_changed.disconnect(self.sig_state_changed)
            live.sig_time_changed.disconnect(self.sig_time_changed)
            live.sig_status_changed.disconnect(self.sig_live_status)
            live.deleteLater()
            self.sig_live_changed.emit(None)

    def show_player(
        self, topology: Topology, player: ReplayPlayer, replay_path: Path, *, speed: float = 1.0
    ) -> None:
        """Show a prepared player as the source (the history rebuilt as of a time).

        Nothing is remembered as "last files": the next start does not reopen it.
        """
        self._generation += 1
        self.topology_path, self.replay_path = None, replay_path
        self._install(_Loaded(topology, player), speed)
        self.loading = False
        self.sig_loaded.emit()

    def show_topology(self, topology: Topology) -> None:
        """Show a topology loaded elsewhere (Neo4j) with no replay; not remembered as a file."""
        self._generation += 1
        self.topology_path, self.replay_path = None, None
        self._install(_Loaded(topology, None), 1.0)
        self.loading = False
        self.sig_loaded.emit()

    def open_snapshot(self, path: str | Path) -> None:
        """Open a `.wfsnap` read-only: its topology, its alerts replayed up to its time.

        Read and verified off the GUI thread; a damaged file is one line on
        `sig_error`. Nothing is remembered as "last files".
        """
        from console.snapshot_source import SnapshotSource, load_snapshot, snapshot_title

        snapshot_path = Path(path)
        generation = self._begin_load(f"Opening snapshot {snapshot_path.name}\u2026")

        def done(opened: OpenedSnapshot) -> None:
            self.topology_path, self.replay_path = None, None
            name = snapshot_title(opened.snapshot)

            def source(*args: Any, **kwargs: Any) -> ReplaySource:
                # the snapshot rides on the source before sig_source_changed announces it
                return SnapshotSource(*args, snapshot=opened.snapshot, **kwargs)

            self._install(_Loaded(opened.snapshot.topology, opened.player), 1.0, source, name)
            self.loading = False
            self.sig_loaded.emit()

        self._submit_load(generation, lambda: load_snapshot(snapshot_path), done)

    def close_source(self) -> None:
        """Stop and drop the current source; the views show an empty engine."""
        self._drop_replay()
        self.topology = empty_topology()
        self.topology_path = self.replay_path = None
        self.bridge.reset(Engine(self.topology))
        self.sig_source_changed.emit(None)

    def shutdown(self) -> None:
        """Stop playback and the worker (window closing)."""
        self._generation += 1
        self._drop_replay()
        self.background.shutdown()
        self.bridge.shutdown()

    def _progress(self, generation: int, what: str, done: int) -> None:
        if generation == self._generation:
            self.sig_progress.emit(f"{what}: {done:,} lines\u2026" if done else what, done, 0)

    def _install(
        self,
        loaded: _Loaded,
        speed: float,
        source: Callable[..., ReplaySource] = ReplaySource,
        name: str | None = None,
    ) -> None:
        self._drop_replay()
        self.topology = loaded.topology
        if loaded.player is None:
            self.bridge.reset(Engine(self.topology))
            self.sig_source_changed.emit(None)
            return
        if name is None:
            assert self.replay_path is not None
            name = self.replay_path.name
        replay = source(loaded.player, self.bridge, self.background, name=name, speed=speed)
        replay.setParent(self)
        replay.sig_rate_changed.connect(self.sig_rate_changed)
        replay.sig_state_changed.connect(self.sig_state_changed)
        replay.sig_time_changed.connect(self.sig_time_changed)
        self.replay = replay
        self.bridge.reset(loaded.player.engine)
        self.sig_source_changed.emit(replay)
        self.sig_state_changed.emit(replay.state.value)
        self.sig_time_changed.emit(replay.time)

    def _drop_replay(self) -> None:
        self._drop_live()
        if self.replay is not None:
            self.replay.stop()
            self.replay.sig_rate_changed.disconnect(self.sig_rate_changed)
            self.replay.sig_state_changed.disconnect(self.sig_state_changed)
            self.replay.sig_time_changed.disconnect(self.sig_time_changed)
            self.replay.deleteLater()
            self.replay = None
            self.sig_rate_changed.emit(0.0)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
