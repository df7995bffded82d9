"""The console with its stores: command-line options, Neo4j refresh, InfluxDB sink.

Real servers (FalkorDB over Bolt, VictoriaMetrics for v2 writes); the window
is the real main window, offscreen.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
from pytestqt.qtbot import QtBot

from console.app import UsageError, parse_options
from console.history_link import HistorySettings, install_history
from console.main_window import MainWindow
from console.stores_link import attach_stores, stores_link
from console.views.trends import TrendsView
from core.graph.loaders import load_topology
from core.model import parse_time
from core.stores.influx import InfluxConfig
from core.stores.neo4j_export import export_topology
from core.stores.neo4j_store import Neo4jConfig, Neo4jStore
from core.stores.secrets import Secret
from tests.console.conftest import make_window
from tests.stores.servers import (
    FALKORDB_PASSWORD,
    FALKORDB_USER,
    FalkorDB,
    Influxd,
    VictoriaMetrics,
    free_port,
)

DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo"
LABEL = "ConsoleDemo"


@pytest.fixture
def settings_path(tmp_path: Path) -> Path:
    """A fresh INI file per test: never the user's settings."""
    return tmp_path / "watchfloor.ini"


@pytest.fixture(scope="module")
def neo4j_config(falkordb: FalkorDB) -> Iterator[Neo4jConfig]:
    """The demo topology in the Bolt server under its own label."""
    config = Neo4jConfig(
        uri=falkordb.uri,
        user=FALKORDB_USER,
        password=Secret(FALKORDB_PASSWORD),
        label=LABEL,
        connect_timeout_s=1.0,
    )
    with Neo4jStore(config) as store:
        export_topology(store, load_topology(DEMO / "topology.json"))
    yield config


def test_store_options_are_checked_before_any_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WATCHFLOOR_NEO4J_PASSWORD", raising=False)
    monkeypatch.delenv("NEO4J_PASSWORD", raising=False)
    with pytest.raises(UsageError, match="no Neo4j password"):
        parse_options(["--neo4j", "bolt://db:7687", "--neo4j-user", "neo4j"])
    with pytest.raises(UsageError, match="expected NAME=VALUE"):
        parse_options(["--neo4j", "bolt://db:7687", "--neo4j-param", "a b=1"])
    with pytest.raises(UsageError, match="Neo4j URI must be"):
        parse_options(["--neo4j", "http://db:7474"])
    with pytest.raises(UsageError, match="need --neo4j"):
        parse_options(["--neo4j-user", "neo4j"])
    with pytest.raises(UsageError, match="leave out --topology"):
        parse_options(["--neo4j", "bolt://db:7687", "--topology", str(DEMO / "topology.json")])
    with pytest.raises(UsageError, match="InfluxDB URL"):
        parse_options(["--influx-url", "ftp://influx"])
    with pytest.raises(UsageError, match="cannot read secret file"):
        parse_options(["--influx-url", "http://influx:8086", "--influx-token-file", "/nonexistent"])

    password, token = tmp_path / "password", tmp_path / "token"
    password.write_text("n30-secret\n")
    token.write_text("influx-secret-token\n")
    options = parse_options(
        [
            "--neo4j", "bolt+s://db.example:7687", "--neo4j-user", "neo4j",
            "--neo4j-password-file", str(password),
            "--neo4j-query", "MATCH (n:Svc) WHERE n.env = $env RETURN n.id AS id",
            "--neo4j-param", "env=prod",
            "--replay", str(DEMO / "alerts.ndjson.gz"),
            "--influx-url", "https://influx.example:8086", "--influx-org", "noc",
            "--influx-bucket", "alerts", "--influx-token-file", str(token),
        ]
    )  # fmt: skip
    assert options.neo4j is not None and options.influx is not None
    assert options.neo4j.password is not None and options.neo4j.password.reveal() == "n30-secret"
    assert options.neo4j.params == {"env": "prod"}
    assert options.influx.token is not None
    assert options.influx.token.reveal() == "influx-secret-token"
    assert "n30-secret" not in repr(options) and "influx-secret-token" not in repr(options)


def test_refresh_topology_from_neo4j_keeps_the_replay_and_its_time(
    qtbot: QtBot, settings_path: Path, neo4j_config: Neo4jConfig
) -> None:
    window: MainWindow = make_window(qtbot, settings_path)
    session = window.session
    at = parse_time("2026-11-26T02:20:00Z")  # inside the demo's hour
    with qtbot.waitSignal(session.sig_loaded, timeout=30_000):
        session.open_demo(at=at, autoplay=False)
    before = session.replay.time if session.replay is not None else math.nan
    alerting_before = len(session.bridge.engine.active_alerts)
    link = attach_stores(session, neo4j=neo4j_config, influx=None, report=window.show_message)
    assert stores_link(session) is link

    progress: list[tuple[str, int, int]] = []
    session.sig_progress.connect(lambda text, done, total: progress.append((text, done, total)))
    with qtbot.waitSignal(session.sig_loaded, timeout=30_000):
        window.actions_by_id["file.refresh_neo4j"].trigger()
    assert len(session.topology.ids) == 318
    assert session.topology.source.startswith(neo4j_config.uri)
    assert session.replay is not None and session.replay.time == before
    assert session.replay_path == DEMO / "alerts.ndjson.gz"
    assert len(session.bridge.engine.active_alerts) == alerting_before
    assert progress and neo4j_config.uri in progress[0][0]
    assert "318 components" in window.status.currentMessage()

    # A component added in Neo4j appears on the next refresh, no restart.
    store = Neo4jStore(neo4j_config)
    try:
        store.run(
            f"MATCH (b:`{LABEL}` {{id: $dep}}) MERGE (a:`{LABEL}` {{id: $id}}) "
            "MERGE (a)-[:DEPENDS_ON]->(b)",
            {"id": "new-service", "dep": "core-rtr-1"},
        )
    finally:
        store.close()
    with qtbot.waitSignal(session.sig_loaded, timeout=30_000):
        window.actions_by_id["file.refresh_neo4j"].trigger()
    topology = session.topology
    assert "new-service" in topology.index
    assert topology.ids[topology.dependencies[topology.index["new-service"]][0]] == "core-rtr-1"
    link.shutdown()


def test_refresh_without_neo4j_says_how_to_configure_it(qtbot: QtBot, settings_path: Path) -> None:
    window = make_window(qtbot, settings_path)
    window.actions_by_id["file.refresh_neo4j"].trigger()
    assert "--neo4j" in window.status.currentMessage()


def test_console_writes_alert_changes_to_influx(
    qtbot: QtBot, settings_path: Path, victoria: VictoriaMetrics
) -> None:
    window = make_window(qtbot, settings_path)
    session = window.session
    config = InfluxConfig(url=victoria.url, org="noc", bucket="console", prefix="console")
    link = attach_stores(session, neo4j=None, influx=config, report=window.show_message)
    start = parse_time("2026-11-26T02:00:00Z")
    with qtbot.waitSignal(session.sig_loaded, timeout=30_000):
        session.open_demo(at=start, autoplay=False)
    assert link.recorder is not None
    for _ in range(200):
        assert session.replay is not None
        session.replay.step()
        session.bridge.flush()
    recorder_points = link.recorder.points
    assert recorder_points > 0
    link.shutdown()
    series = victoria.export('{__name__="console_alert_event_firing"}')
    stored = sum(len(cast(list[object], s["values"])) for s in series)
    assert stored > 0
    assert all("fingerprint" not in s["metric"] for s in series)  # type: ignore[operator]


def test_refresh_from_an_unreachable_neo4j_keeps_what_is_shown(
    qtbot: QtBot, settings_path: Path
) -> None:
    window = make_window(qtbot, settings_path)
    session = window.session
    with qtbot.waitSignal(session.sig_loaded, timeout=30_000):
        session.open_demo(autoplay=False)
    shown = session.topology
    config = Neo4jConfig(
        uri=f"bolt://127.0.0.1:{free_port()}",
        user="neo4j",
        password=Secret("never-shown-pw"),
        connect_timeout_s=0.5,
        connect_attempts=1,
    )
    attach_stores(session, neo4j=config, influx=None, report=window.show_message)
    with qtbot.waitSignal(session.sig_error, timeout=20_000) as error:
        window.actions_by_id["file.refresh_neo4j"].trigger()
    message = str(error.args[0]) if error.args else ""
    assert "cannot reach Neo4j" in message and "\n" not in message
    assert "never-shown-pw" not in message
    assert session.topology is shown and not session.loading


def test_trends_read_minutes_before_the_session_from_influx_when_configured(
    qtbot: QtBot, settings_path: Path, influxd: Influxd, tmp_path: Path
) -> None:
    """With InfluxDB configured the trends view draws past minutes from it, not SQLite."""
    start = parse_time("2026-11-26T02:00:00Z")
    first = math.floor(start / 60)
    influxd.query("CREATE DATABASE trends")
    past = [(first - 30, 3, "critical"), (first - 29, 2, "critical"), (first - 29, 4, "warning")]
    influxd.write_lines(
        "trends",
        [
            f"trendsx_alerts_minute,severity={sev},tier=edge firing={n}i,resolved=0i,started=0i "
            f"{minute * 60 * 10**9}"
            for minute, n, sev in past
        ],
    )
    window = make_window(qtbot, settings_path)
    session = window.session
    config = InfluxConfig(url=influxd.url, bucket="trends", prefix="trendsx", timeout_s=5.0)
    link = attach_stores(session, neo4j=None, influx=config, report=window.show_message)
    history = install_history(
        window, session, HistorySettings(tmp_path / "h.sqlite", retention_days=0)
    )
    try:
        with qtbot.waitSignal(session.sig_loaded, timeout=30_000):
            session.open_demo(at=start, autoplay=False)
        assert session.replay is not None
        session.replay.step()
        session.bridge.flush()
        trends = cast(TrendsView, window.views["trends"])

        def drawn() -> dict[tuple[int, str], float]:
            snap = trends.series_snapshot()
            return {
                (int(t // 60), sev): float(snap[sev][k])
                for k, t in enumerate(snap["time"])
                for sev in ("critical", "warning")
                if int(t // 60) < first - 20 and snap[sev][k] > 0
            }

        want = {(minute, sev): float(n) for minute, n, sev in past}
        qtbot.waitUntil(lambda: drawn() == want, timeout=10_000)
    finally:
        history.close()
        link.shutdown()
