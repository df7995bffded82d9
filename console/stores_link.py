"""The console's link to the team's stores: topology from Neo4j, alert history to InfluxDB.

`StoresLink` lives as a child of the session (found with `stores_link(session)`):
- Neo4j: loads the topology with the configured Cypher query off the GUI
  thread (the session's worker), with progress in the status bar, and shows
  it with the current replay kept at its current time ("Refresh topology from
  Neo4j", no restart). One long-lived driver serves every refresh.
- InfluxDB: every alert change the bridge reports becomes a point (built on
  the GUI thread, microseconds each) appended to the sink's bounded buffer;
  the sink's own thread writes, retries and counts drops, and the status bar
  hears when writes fail, recover, or points were dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal

from core.graph.topology import Topology
from core.stores.influx_points import InfluxRecorder
from core.stores.influx_sink import InfluxSink, SinkStats

if TYPE_CHECKING:
    from console.session import Session
    from core.engine import Engine
    from core.replay import ReplayPlayer
    from core.stores.influx import InfluxConfig, InfluxCountsReader
    from core.stores.neo4j_store import Neo4jConfig, Neo4jStore

log = logging.getLogger(__name__)

SINK_CHECK_MS = 2_000


class StoresLink(QObject):
    """Neo4j topology refresh and the InfluxDB sink for one session."""

    sig_message = Signal(str)
    """Something the operator should read in the status bar (one line)."""

    def __init__(
        self,
        session: Session,
        *,
        neo4j: Neo4jConfig | None = None,
        influx: InfluxConfig | None = None,
    ) -> None:
        super().__init__(session)
        self.setObjectName("stores_link")
        self.session = session
        self.neo4j = neo4j
        self.influx = influx
        self._store: Neo4jStore | None = None
        self.sink: InfluxSink | None = None
        self.recorder: InfluxRecorder | None = None
        self._last_stats: SinkStats | None = None
        if influx is not None:
            self.sink = InfluxSink(influx)
            self.recorder = InfluxRecorder(self.sink, prefix=influx.prefix)
            bridge = session.bridge
            self.recorder.reset(bridge.engine)
            bridge.sig_alerts_changed.connect(self._alerts_changed)
            bridge.sig_engine_reset.connect(self._engine_reset)
            self._timer = QTimer(self)
            self._timer.setInterval(SINK_CHECK_MS)
            self._timer.timeout.connect(self.check_sink)
            self._timer.start()
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    # -- Neo4j -------------------------------------------------------------------------

    def refresh_topology(
        self,
        *,
        replay: Path | None = None,
        at: float | None = None,
        speed: float | None = None,
        autoplay: bool | None = None,
    ) -> bool:
        """Reload the topology from Neo4j in the background; False when none is configured.

        Without arguments the current replay stays, at its current time and
        playing state; at start-up the command line's replay is given instead.
        """
        config = self.neo4j
        session = self.session
        if config is None:
            self.sig_message.emit("No Neo4j configured: start with --neo4j bolt://host:7687")
            return False
        current = session.replay
        if replay is None and current is not None:
            replay = session.replay_path
            at = current.time if at is None else at
            speed = current.speed if speed is None else speed
            autoplay = current.playing if autoplay is None else autoplay
        store = self._neo4j_store()
        report = session.background.call_soon
        session.loading = True
        session.sig_progress.emit(f"Loading topology from {config.uri}\u2026", 0, 0)

        def progress(done: int, total: int) -> None:
            text = f"Loading topology from {config.uri}: {done:,} rows"
            report(lambda: session.sig_progress.emit(text, done, total))

        def work() -> tuple[Topology, ReplayPlayer | None, int]:
            from core.stores.neo4j_topology import load_neo4j_topology

            loaded = load_neo4j_topology(store, progress=progress)
            player = None
            if replay is not None:
                from core.replay import ReplayPlayer
                from core.timeline import load_records

                player = ReplayPlayer(loaded.topology, load_records(replay))
                if at is not None:
                    player.seek(at)
            return loaded.topology, player, loaded.skipped

        def done(result: tuple[Topology, ReplayPlayer | None, int]) -> None:
            topology, player, skipped = result
            if player is not None and replay is not None:
                session.show_player(topology, player, replay, speed=speed or 1.0)
                if autoplay and session.replay is not None:
                    session.replay.play()
            else:
                session.show_topology(topology)
            note = f" ({skipped:,} rows without an id skipped)" if skipped else ""
            self.sig_message.emit(
                f"Topology from {config.uri}: {len(topology.ids):,} components{note}"
            )

        def failed(exc: BaseException) -> None:
            session.loading = False
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            session.sig_error.emit(config.scrub(first))
            session.sig_loaded.emit()

        session.background.submit(work, done, failed)
        return True

    def _neo4j_store(self) -> Neo4jStore:
        if self._store is None:
            from core.stores.neo4j_store import Neo4jStore

            assert self.neo4j is not None
            self._store = Neo4jStore(self.neo4j)
        return self._store

    # -- InfluxDB ----------------------------------------------------------------------

    @property
    def counts_reader(self) -> InfluxCountsReader | None:
        """Past alert counts over InfluxQL for the trends view (None without InfluxDB)."""
        if self.influx is None:
            return None
        from core.stores.influx import InfluxCountsReader

        return InfluxCountsReader(self.influx)

    def _alerts_changed(self, added: list[str], updated: list[str], resolved: list[str]) -> None:
        if self.recorder is not None:
            self.recorder.observe(self.session.bridge.engine, added, updated, resolved)

    def _engine_reset(self, engine: Engine) -> None:
        if self.recorder is not None:
            self.recorder.flush()
            self.recorder.reset(engine)

    def check_sink(self) -> None:
        """Tell the operator when writes start failing, recover, or points were dropped."""
        if self.sink is None:
            return
        stats, last = self.sink.stats(), self._last_stats
        self._last_stats = stats
        if stats.dropped and (last is None or stats.dropped > last.dropped):
            self.sig_message.emit(
                f"InfluxDB: {stats.dropped:,} points dropped (buffer full while unreachable)"
            )
        elif stats.failing and (last is None or not last.failing):
            self.sig_message.emit(
                f"InfluxDB unreachable, buffering {stats.buffered:,} points: {stats.last_error}"
            )
        elif last is not None and last.failing and not stats.failing:
            self.sig_message.emit("InfluxDB reachable again; buffered points sent")

    def shutdown(self) -> None:
        """Flush what can be flushed (briefly) and close the connections (app quitting)."""
        if self.recorder is not None:
            self.recorder.flush()
        if self.sink is not None:
            stats = self.sink.close(timeout=2.0)
            if stats.dropped:
                log.warning("InfluxDB: %d points not written", stats.dropped)
            self.sink = None
        if self._store is not None:
            self._store.close()
            self._store = None


def stores_link(session: Session) -> StoresLink | None:
    """The session's link, if the console was started with store options."""
    return session.findChild(StoresLink, "stores_link")


def attach_stores(
    session: Session,
    *,
    neo4j: Neo4jConfig | None,
    influx: InfluxConfig | None,
    report: Callable[[str], None],
) -> StoresLink:
    """Create the session's link and route its messages to the status bar."""
    link = StoresLink(session, neo4j=neo4j, influx=influx)
    link.sig_message.connect(report)
    return link


def refresh_topology_from_neo4j(session: Session, report: Callable[[str], None]) -> None:
    """The "Refresh topology from Neo4j" action."""
    link = stores_link(session)
    if link is None or link.neo4j is None:
        report("No Neo4j configured: start with --neo4j bolt://host:7687")
        return
    link.refresh_topology()
