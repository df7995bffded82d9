"""Server fixtures for the store tests: each starts once per module and is always stopped."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.stores.servers import INFLUXD, VICTORIA_METRICS, FalkorDB, Influxd, VictoriaMetrics, need


@pytest.fixture(scope="module")
def victoria(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VictoriaMetrics]:
    need(VICTORIA_METRICS)
    server = VictoriaMetrics(tmp_path_factory.mktemp("victoria") / "data")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def influxd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Influxd]:
    need(INFLUXD)
    server = Influxd(tmp_path_factory.mktemp("influxd"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def falkordb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FalkorDB]:
    server = FalkorDB(tmp_path_factory.mktemp("falkordb"))
    server.start()
    try:
        yield server
    finally:
        server.stop()
