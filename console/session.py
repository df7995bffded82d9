"""What the console is looking at: a topology, a source, and the engine bridge.

`Session` loads a topology and a replay off the GUI thread (progress shown
through `sig_progress`), then hands the views a fresh engine through the one
`EngineBridge` they were built with (`bridge.reset`). The bridge outlives
every source, so views are constructed once and simply reload on reset.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from console.background import Background
from console.bridge import EngineBridge
from console.replay_source import ReplaySource
from console.source import SourceState
from core.engine import Engine
from core.graph.loaders import load_topology
from core.graph.topology import Topology
from core.replay import ReplayPlayer
from core.timeline import load_records

RESOURCES = Path(__file__).resolve().parents[1] / "resources"
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

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.topology = empty_topology()
        self.bridge = EngineBridge(Engine(self.topology))
        self.background = Background(self)
        self.replay: ReplaySource | None = None
        self.topology_path: Path | None = None
        self.replay_path: Path | None = None
        self.loading = False
        self._generation = 0  # a newer open() wins over an older one still loading

    @property
    def source_name(self) -> str:
        return self.replay.name if self.replay is not None else ""

    @property
    def state(self) -> SourceState:
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
        self._generation += 1
        generation = self._generation
        topology_path = Path(topology)
        replay_path = Path(replay) if replay is not None else None
        self.loading = True
        self.sig_progress.emit(f"Loading topology {topology_path.name}\u2026", 0, 0)
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
            if generation != self._generation:
                return
            self.topology_path, self.replay_path = topology_path, replay_path
            self._install(loaded, speed)
            self.loading = False
            self.sig_loaded.emit()
            if autoplay and self.replay is not None:
                self.replay.play()

        def failed(exc: BaseException) -> None:
            if generation != self._generation:
                return
            self.loading = False
            self.sig_error.emit(_one_line(exc))
            self.sig_loaded.emit()

        self.background.submit(work, done, failed)

    def open_demo(
        self, *, speed: float = 1.0, at: float | None = None, autoplay: bool = True
    ) -> None:
        self.open(DEMO_TOPOLOGY, DEMO_REPLAY, speed=speed, at=at, autoplay=autoplay)

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

    def _progress(self, generation: int, what: str, done: int) -> None:
        if generation == self._generation:
            self.sig_progress.emit(f"{what}: {done:,} lines\u2026" if done else what, done, 0)

    def _install(self, loaded: _Loaded, speed: float) -> None:
        self._drop_replay()
        self.topology = loaded.topology
        if loaded.player is None:
            self.bridge.reset(Engine(self.topology))
            self.sig_source_changed.emit(None)
            return
        assert self.replay_path is not None
        replay = ReplaySource(
            loaded.player, self.bridge, self.background, name=self.replay_path.name, speed=speed
        )
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
