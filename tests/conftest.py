"""Test-wide setup: Qt runs headless (offscreen), never with the user's settings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from core.graph.loaders import load_topology
from core.graph.topology import Topology
from core.timeline import Record, load_records

DEMO = Path(__file__).resolve().parents[1] / "resources" / "demo"


@pytest.fixture(scope="session")
def demo_topology() -> Topology:
    """The bundled demo's topology (shared: tests only read it)."""
    return load_topology(DEMO / "topology.json")


@pytest.fixture(scope="session")
def demo_records() -> list[Record]:
    """The bundled demo's replay records (shared: tests only read them)."""
    return load_records(DEMO / "alerts.ndjson.gz")
