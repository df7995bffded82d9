"""InfluxDB sink and read-back against real servers.

Writes go through influxdb-client's v2 write API into VictoriaMetrics
(`/api/v2/write`, read back with `/api/v1/export`); InfluxQL read-back and
line-protocol escaping are checked on InfluxDB 1.6 (`/write`, `/query`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import cast

import numpy as np
import pytest

from core.engine import Engine
from core.graph.topology import Topology
from core.history.counts import COUNT_SEVERITIES, CountsReader
from core.model import Severity, Status
from core.stores.influx import InfluxConfig, InfluxCountsReader, StoreError, influx_config
from core.stores.influx_points import InfluxRecorder
from core.stores.influx_sink import InfluxSink
from core.stores.secrets import Secret
from tests.builders import event
from tests.episodes import DEMO, replay_episodes
from tests.stores.servers import VICTORIA_METRICS, Influxd, VictoriaMetrics, need

T0 = 1_795_000_000.0 - 1_795_000_000.0 % 60  # a whole minute, within VictoriaMetrics' retention
TOKEN = "s3cret-T0KEN-value"  # noqa: S105 (a test token)


def estate() -> Topology:
    attrs = {
        "web": {"tier": "edge", "kind": "service"},
        "api": {"tier": "app", "kind": "service"},
        "db": {"tier": "data tier, primary", "kind": "database"},
    }
    return Topology.from_edges(["web", "api", "db"], [("web", "api"), ("api", "db")], attrs=attrs)


class ListSink:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def write(self, lines: Sequence[str]) -> None:
        self.lines.extend(lines)


def scenario() -> list[tuple[list, float | None]]:
    """Alert events in event-time order; the expected per-minute counts are in the tests."""
    return [
        ([event("web", at=T0 + 10, name="A")], None),
        ([event("api", at=T0 + 70, name="B", severity=Severity.WARNING)], None),
        ([event("web", at=T0 + 130, name="A", status=Status.RESOLVED)], None),
        ([event("db", at=T0 + 185, name="C")], None),
        ([event("db", at=T0 + 190, name="C", status=Status.RESOLVED)], None),
        ([event("nowhere", at=T0 + 300, name="D", severity=Severity.INFO)], None),
    ]


# Rows: minutes T0.. T0+5; columns: critical, major, warning, info.
EXPECTED = np.array(
    [
        [1, 0, 0, 0],
        [1, 0, 1, 0],
        [1, 0, 1, 0],
        [1, 0, 1, 0],
        [0, 0, 1, 0],
        [0, 0, 1, 1],
    ],
    dtype=np.int64,
)


def wait_failing(sink: InfluxSink) -> None:
    """Until the sink's first attempt failed (the client library loads on first use)."""
    deadline = time.monotonic() + 20
    while not sink.stats().failing and time.monotonic() < deadline:
        time.sleep(0.05)


def record(recorder: InfluxRecorder, engine: Engine) -> int:
    for batch, _ in scenario():
        recorder.observe_delta(engine, engine.apply(batch))
    recorder.flush()
    return engine.events_total


def config(url: str, **options: object) -> InfluxConfig:
    defaults: dict[str, object] = {
        "org": "noc",
        "bucket": "wf",
        "token": Secret(TOKEN),
        "retry_initial_s": 0.05,
        "retry_max_s": 0.2,
        "timeout_s": 2.0,
    }
    defaults.update(options)
    return InfluxConfig(url=url, **defaults)  # type: ignore[arg-type]


@pytest.fixture()
def own_victoria(tmp_path: Path) -> Iterator[VictoriaMetrics]:
    """A VictoriaMetrics of this test's own, to stop and start (outages)."""
    need(VICTORIA_METRICS)
    server = VictoriaMetrics(tmp_path / "vm")
    server.start()
    try:
        yield server
    finally:
        server.stop()


# -- writes through the v2 API ---------------------------------------------------------------


def test_sink_writes_events_and_minutes_with_bounded_tags(victoria: VictoriaMetrics) -> None:
    sink = InfluxSink(config(victoria.url))
    engine = Engine(estate())
    recorder = InfluxRecorder(sink)
    events = record(recorder, engine)
    assert sink.flush(10)
    stats = sink.close()
    assert (stats.written, stats.dropped, stats.rejected) == (recorder.points, 0, 0)

    series = victoria.export('{__name__="watchfloor_alert_event_firing"}')
    assert sum(len(cast(list[object], s["values"])) for s in series) == events
    for s in series:
        labels = s["metric"]
        assert isinstance(labels, dict)
        # Only bounded tags: no fingerprint, alert name or component id as a label.
        assert set(labels) - {"db"} == {"__name__", "severity", "status", "change", "tier", "kind"}
    firing_by_change = {
        (s["metric"]["change"], s["metric"]["tier"]): s["values"]  # type: ignore[index]
        for s in series
    }
    assert firing_by_change[("new", "edge")] == [1]
    assert firing_by_change[("resolve", "edge")] == [0]
    assert firing_by_change[("new", "unmapped")] == [1]
    assert firing_by_change[("new", "data tier, primary")] == [1]

    minutes = victoria.export('{__name__="watchfloor_alerts_minute_firing"}')
    per_minute: dict[int, int] = {}
    for s in minutes:
        for ts, value in zip(s["timestamps"], s["values"], strict=True):  # type: ignore[call-overload]
            k = (ts // 1000 - int(T0)) // 60
            per_minute[k] = per_minute.get(k, 0) + int(value)
    assert per_minute == {k: int(EXPECTED[k].sum()) for k in range(6)}


def test_sink_outage_buffers_and_delivers_after_restart(own_victoria: VictoriaMetrics) -> None:
    sink = InfluxSink(config(own_victoria.url))
    own_victoria.stop()
    lines = [f"wf_outage,tier=edge value={i}i {int(T0) * 10**9 + i * 10**6}" for i in range(300)]
    sink.write(lines[:150])
    sink.write(lines[150:])  # returns at once although the server is down
    wait_failing(sink)
    stats = sink.stats()
    assert stats.failing and stats.buffered == 300 and stats.written == 0
    assert "cannot reach InfluxDB" in stats.last_error
    own_victoria.start()
    assert sink.flush(20)
    stats = sink.close()
    assert (stats.written, stats.dropped, stats.failing) == (300, 0, False)
    stored = own_victoria.export('{__name__="wf_outage_value"}')
    assert sorted(v for s in stored for v in s["values"]) == list(range(300))  # type: ignore[attr-defined]


def test_sink_beyond_its_bound_drops_the_oldest_and_counts_them(
    own_victoria: VictoriaMetrics,
) -> None:
    sink = InfluxSink(config(own_victoria.url, buffer_limit=40, batch_size=10))
    own_victoria.stop()
    lines = [f"wf_bound value={i}i {int(T0) * 10**9 + i * 10**6}" for i in range(100)]
    for i in range(0, 100, 5):
        sink.write(lines[i : i + 5])
    stats = sink.stats()
    assert stats.buffered == 40 and stats.dropped == 60
    own_victoria.start()
    assert sink.flush(20)
    stats = sink.close()
    assert (stats.written, stats.dropped) == (40, 60)
    values = sorted(
        int(v)
        for s in own_victoria.export('{__name__="wf_bound_value"}')
        for v in s["values"]  # type: ignore[attr-defined]
    )
    # The first batch was in flight when the server went away and is kept; the
    # oldest queued points after it were dropped, the newest are all there.
    assert len(values) == 40
    assert values[-30:] == list(range(70, 100))


def test_token_is_masked_in_repr_errors_and_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    cfg = influx_config("http://127.0.0.1:9", org="noc", bucket="wf", token_file=str(token_file))
    assert cfg.token is not None and cfg.token.reveal() == TOKEN
    assert TOKEN not in repr(cfg) and TOKEN not in str(cfg) and TOKEN not in f"{cfg.token}"
    monkeypatch.setenv("WATCHFLOOR_INFLUX_TOKEN", "from-env")
    from_env = influx_config("http://127.0.0.1:9", bucket="wf")
    assert from_env.token is not None and from_env.token.reveal() == "from-env"
    with pytest.raises(ValueError, match="token"):
        InfluxConfig(url=f"http://user:{TOKEN}@127.0.0.1:9", bucket="wf")

    caplog.set_level(logging.DEBUG)
    sink = InfluxSink(config("http://127.0.0.1:9", timeout_s=0.5))
    sink.write([f"wf x=1i {int(T0) * 10**9}"])
    wait_failing(sink)
    stats = sink.close(timeout=0.1)
    assert stats.dropped == 1 and stats.last_error
    assert TOKEN not in stats.last_error
    assert TOKEN not in caplog.text
    with pytest.raises(StoreError) as info:
        InfluxCountsReader(config("http://127.0.0.1:9", timeout_s=0.5)).alert_counts(T0, T0 + 60)
    assert TOKEN not in str(info.value) and "\n" not in str(info.value)


# -- InfluxQL read-back on InfluxDB 1.x ---------------------------------------------------------


@pytest.fixture(scope="module")
def influx_history(influxd: Influxd) -> Influxd:
    """The scenario's points, written to InfluxDB 1.6 with the v1 `/write` endpoint."""
    influxd.query("CREATE DATABASE wf")
    lines = ListSink()
    record(InfluxRecorder(lines), Engine(estate()))
    influxd.write_lines("wf", lines.lines)
    return influxd


def test_counts_read_back_over_influxql(influx_history: Influxd) -> None:
    reader: CountsReader = InfluxCountsReader(config(influx_history.url))
    counts = reader.alert_counts(T0, T0 + 6 * 60)
    assert counts.start_minute == int(T0) // 60
    assert counts.firing.tolist() == EXPECTED.tolist()
    # A span reaching into partial minutes covers every minute it overlaps.
    partial = reader.alert_counts(T0 + 90, T0 + 150)
    assert partial.start_minute == int(T0) // 60 + 1
    assert partial.firing.tolist() == EXPECTED[1:3].tolist()
    assert reader.alert_counts(T0 - 600, T0).firing.sum() == 0
    assert [s.label for s in COUNT_SEVERITIES] == ["critical", "major", "warning", "info"]


def test_counts_filter_by_tag_and_resist_injection(influx_history: Influxd) -> None:
    url = influx_history.url
    edge = InfluxCountsReader(config(url), where={"tier": "edge"})
    assert edge.alert_counts(T0, T0 + 6 * 60).firing[:, 0].tolist() == [1, 1, 1, 0, 0, 0]
    spaced = InfluxCountsReader(config(url), where={"tier": "data tier, primary"})
    assert spaced.alert_counts(T0, T0 + 6 * 60).firing[:, 0].tolist() == [0, 0, 0, 1, 0, 0]
    for hostile in ("edge' OR tier =~ /.*/ --", "x\\' OR 1=1", "edge'; DROP DATABASE wf"):
        reader = InfluxCountsReader(config(url), where={"tier": hostile})
        assert reader.alert_counts(T0, T0 + 6 * 60).firing.sum() == 0
    weird = InfluxCountsReader(config(url, prefix='wf" FROM x; DROP DATABASE wf --'))
    assert weird.alert_counts(T0, T0 + 6 * 60).firing.sum() == 0
    key = InfluxCountsReader(config(url), where={"tier\" = 'edge' OR \"x": "y"})
    assert key.alert_counts(T0, T0 + 6 * 60).firing.sum() == 0
    # Still there: nothing above was executed as a statement of its own.
    assert InfluxCountsReader(config(url)).alert_counts(T0, T0 + 60).firing.sum() == 1
    with pytest.raises(StoreError, match="database not found"):
        InfluxCountsReader(config(url, bucket="absent")).alert_counts(T0, T0 + 60)


def test_untrusted_alert_text_round_trips_through_line_protocol(influxd: Influxd) -> None:
    influxd.query("CREATE DATABASE escapes")
    hostile = 'Disk "full", 100%\\ on=x y\nDROP'
    engine = Engine(estate())
    lines = ListSink()
    recorder = InfluxRecorder(lines)
    recorder.observe_delta(engine, engine.apply([event("db", at=T0 + 5, name=hostile)]))
    influxd.write_lines("escapes", lines.lines)
    answer = influxd.query(
        'SELECT "alertname", "tier", "fingerprint" FROM "watchfloor_alert_event"', db="escapes"
    )
    (row,) = answer["results"][0]["series"][0]["values"]  # type: ignore[index]
    assert row[1] == hostile.replace("\n", "\\n")  # a raw newline would end the point
    assert row[2] == "data tier, primary"
    assert row[3] == engine.alerts[next(iter(engine.alerts))].fingerprint


def test_alerts_of_one_webhook_stay_distinct_points(influxd: Influxd) -> None:
    influxd.query("CREATE DATABASE burst")
    engine = Engine(estate())
    lines = ListSink()
    recorder = InfluxRecorder(lines)
    burst = [event("api", at=T0 + 1, name=f"Burst{i}") for i in range(300)]
    recorder.observe_delta(engine, engine.apply(burst))
    influxd.write_lines("burst", lines.lines)
    influxd.write_lines("burst", lines.lines)  # written again (a retry): overwrites itself
    answer = influxd.query('SELECT count("fingerprint") FROM "watchfloor_alert_event"', db="burst")
    assert answer["results"][0]["series"][0]["values"][0][1] == 300  # type: ignore[index]


def test_minute_counts_survive_a_seek_and_count_each_episode() -> None:
    lines = ListSink()
    recorder = InfluxRecorder(lines)
    engine = Engine(estate())
    flap = [
        event("web", at=T0 + 5, name="Flap"),
        event("web", at=T0 + 10, name="Flap", status=Status.RESOLVED),
        event("web", at=T0 + 20, name="Flap"),  # fires again in the same minute
        event("web", at=T0 + 30, name="Flap", status=Status.RESOLVED),
        event("api", at=T0 + 200, name="Later"),  # three minutes on
    ]
    for item in flap:
        recorder.observe_delta(engine, engine.apply([item]))
    minutes = [ln for ln in lines.lines if ln.startswith("watchfloor_alerts_minute")]
    # Minute 0: two episodes of one alert (as the SQLite history counts: episodes).
    assert minutes == [
        "watchfloor_alerts_minute,severity=critical,tier=edge firing=2i,resolved=2i,started=2i "
        f"{int(T0) * 10**9}"
    ]  # nothing open in minutes 1 and 2: no points for them
    changes = [ln.split(",change=")[1].split(",")[0] for ln in lines.lines if "change=" in ln]
    assert changes == ["new", "resolve", "refire", "resolve", "new"]

    # A seek rebuilds the engine mid-minute: that minute is only partly known
    # and is not written (it would overwrite a complete count with a smaller one).
    lines.lines.clear()
    rebuilt = Engine(estate())
    rebuilt.apply([event("api", at=T0 + 200, name="Later")])
    recorder.reset(rebuilt)
    recorder.observe_delta(rebuilt, rebuilt.apply([event("db", at=T0 + 250, name="Next")]))
    recorder.observe_delta(rebuilt, rebuilt.apply([event("db", at=T0 + 400, name="Next")]))
    minutes = [ln for ln in lines.lines if ln.startswith("watchfloor_alerts_minute")]
    assert {int(ln.rsplit(" ", 1)[1]) // 60 // 10**9 - int(T0) // 60 for ln in minutes} == {4, 5}


def test_a_server_without_the_v2_write_api_is_reported_and_points_kept(influxd: Influxd) -> None:
    # InfluxDB before 1.8 has no /api/v2/write: a configuration problem the
    # operator must see; the points wait in the buffer rather than vanish.
    sink = InfluxSink(config(influxd.url))
    sink.write([f"wf x=1i {int(T0) * 10**9}"])
    wait_failing(sink)
    stats = sink.stats()
    assert stats.failing and "404" in stats.last_error
    assert (stats.buffered, stats.written, stats.rejected) == (1, 0, 0)
    assert TOKEN not in stats.last_error
    assert sink.close(timeout=0.1).dropped == 1


def test_an_alert_that_fires_and_resolves_within_one_delta_still_counts() -> None:
    lines = ListSink()
    recorder = InfluxRecorder(lines)
    engine = Engine(estate())
    # One batch (one console frame at high replay speed): fire, resolve, fire again.
    batch = [
        event("web", at=T0 + 1, name="Flap"),
        event("web", at=T0 + 2, name="Flap", status=Status.RESOLVED),
        event("api", at=T0 + 3, name="Blip"),
        event("api", at=T0 + 4, name="Blip", status=Status.RESOLVED),
        event("web", at=T0 + 5, name="Flap"),
    ]
    recorder.observe_delta(engine, engine.apply(batch))
    recorder.observe_delta(
        engine, engine.apply([event("web", at=T0 + 61, name="Flap", status=Status.RESOLVED)])
    )
    minutes = sorted(ln for ln in lines.lines if ln.startswith("watchfloor_alerts_minute"))
    assert minutes == [
        "watchfloor_alerts_minute,severity=critical,tier=app firing=1i,resolved=1i,started=1i "
        f"{int(T0) * 10**9}",
        "watchfloor_alerts_minute,severity=critical,tier=edge firing=2i,resolved=1i,started=2i "
        f"{int(T0) * 10**9}",
    ]


def test_minute_points_equal_counting_every_episode_of_the_demo_by_hand() -> None:
    """The aggregator (differences, corrections) against brute force over episode intervals
    (tests/episodes.py, which the SQLite history is checked against too)."""
    from core.graph.loaders import load_topology
    from core.replay import ReplayPlayer
    from core.timeline import load_records

    topology = load_topology(DEMO / "topology.json")
    records = load_records(DEMO / "alerts.ndjson.gz")
    player = ReplayPlayer(topology, records)
    lines = ListSink()
    recorder = InfluxRecorder(lines)
    recorder.reset(player.engine)
    while not player.finished:
        recorder.observe_delta(player.engine, player.step())
    recorder.flush()
    written: dict[tuple[int, str], int] = {}
    for ln in lines.lines:
        if ln.startswith("watchfloor_alerts_minute"):
            head, fields, stamp = ln.split(" ")
            sev = head.split(",severity=")[1].split(",")[0]
            minute_of = int(stamp) // 60 // 10**9
            tier_firing = int(fields.split(",")[0].removeprefix("firing=").removesuffix("i"))
            tier = head.split(",tier=")[1]
            written[(minute_of, sev + "/" + tier)] = tier_firing  # last write wins
    by_minute: dict[tuple[int, str], int] = {}
    for (minute, sev_tier), value in written.items():
        written_key = (minute, sev_tier.split("/")[0])
        by_minute[written_key] = by_minute.get(written_key, 0) + value
    expected = replay_episodes(topology, records).minute_counts()
    assert {k: v for k, v in by_minute.items() if v} == expected
