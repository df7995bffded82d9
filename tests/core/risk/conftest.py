"""Risk fixtures: the demo history and topology, the real gerrit sample, a trained model."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.graph.loaders import load_topology
from core.graph.topology import Topology
from core.risk.model import RiskModel
from core.risk.scoring import Prepared, prepare_history, train

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / "resources" / "demo"
DEPLOYMENTS = ROOT / "tests" / "data" / "deployments"
GERRIT = DEPLOYMENTS / "gerrit_sample.csv"


@pytest.fixture(scope="session")
def demo_topology() -> Topology:
    return load_topology(DEMO / "topology.json")


@pytest.fixture(scope="session")
def demo_prepared() -> Prepared:
    return prepare_history(DEMO / "deployments.csv", topology=DEMO / "topology.json")


@pytest.fixture(scope="session")
def demo_model(demo_prepared: Prepared) -> RiskModel:
    return train(demo_prepared, kind="logistic")
