"""Risk view: planned deployments scored, bands, explanations, blast radius and incidents."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from console.bridge import EngineBridge
from console.main_window import MainWindow
from console.selection import Selection
from console.theme import Theme
from console.views.risk import RiskView
from console.views.topology import TopologyView
from core.graph.blast import blast_radius
from core.graph.topology import Topology
from core.model import parse_time
from core.replay import ReplayPlayer
from core.risk.scoring import prepare_history, train
from core.risk.store import save_model
from core.timeline import Record
from tests.console.conftest import DEMO

DISPLAY = Qt.ItemDataRole.DisplayRole


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory, demo_topology: Topology) -> Path:
    path = tmp_path_factory.mktemp("risk") / "demo.skops"
    prepared = prepare_history(DEMO / "deployments.csv", topology=demo_topology)
    save_model(train(prepared, kind="logistic"), path)
    return path


@pytest.fixture
def at_0245(demo_topology: Topology, demo_records: list[Record]) -> EngineBridge:
    """The demo replayed to 02:45, when several incidents are open."""
    player = ReplayPlayer(demo_topology, demo_records)
    bridge = EngineBridge(player.engine)
    bridge.push(player.advance(parse_time("2026-11-26T02:45:00Z")))
    bridge.flush()
    return bridge


def loaded_view(qtbot: QtBot, bridge: EngineBridge, selection: Selection, model: Path) -> RiskView:
    view = RiskView(bridge, Theme("dark"), selection)
    qtbot.addWidget(view)
    assert view.plan_pane.isHidden()  # no plan yet: no empty table, the status line says why
    view.open_model(model)
    view.open_plan(DEMO / "planned.csv")
    qtbot.waitUntil(lambda: view.table_model.rowCount() == 40 and not view.busy, timeout=20_000)
    assert not view.plan_pane.isHidden()
    return view


def cell(view: RiskView, row: int, column: int) -> str:
    model = view.table_model
    return str(model.data(model.index(row, column), DISPLAY))


def test_plan_is_listed_riskiest_first_with_bands_and_explanations(
    qtbot: QtBot, qtmodeltester, at_0245: EngineBridge, model_file: Path
) -> None:
    view = loaded_view(qtbot, at_0245, Selection(), model_file)
    qtmodeltester.check(view.table_model)
    model = view.model
    assert model is not None
    scores = [float(cell(view, r, 0)) for r in range(40)]
    assert scores == sorted(scores, reverse=True)
    medium, high = model.thresholds
    assert f"{medium:.3f}" in view.bands.text() and f"{high:.3f}" in view.bands.text()
    for row in range(40):
        score = view.table_model.rows[view.table_model.keys[row]].score
        band = "high" if score >= high else "medium" if score >= medium else "low"
        assert cell(view, row, 1).endswith(band)
        assert "raises:" in cell(view, row, 6) or "lowers:" in cell(view, row, 6)
    assert "Model: logistic, 5,000 deployments; holdout ROC AUC" in view.summary.text()
    assert "40 planned deployments from planned.csv" in view.status.text()


def test_selecting_a_deployment_highlights_its_blast_radius_and_lists_touched_incidents(
    qtbot: QtBot, tmp_path: Path, at_0245: EngineBridge, demo_topology: Topology, model_file: Path
) -> None:
    selection = Selection()
    canvas = TopologyView(at_0245, Theme("dark"), selection, layout_cache=tmp_path)
    qtbot.addWidget(canvas)
    canvas.resize(800, 600)
    canvas.show()
    qtbot.waitUntil(lambda: canvas.positions is not None, timeout=10_000)
    view = loaded_view(qtbot, at_0245, selection, model_file)
    engine = at_0245.engine
    graph = demo_topology.to_networkx()

    def touched(service: str) -> list[str]:
        reach = {demo_topology.index[n] for n in nx.ancestors(graph, service)}
        reach.add(demo_topology.index[service])
        return sorted(d for d in engine.domain_ids() if reach & set(engine.domain_members(d)))

    rows = {view.table_model.rows[k].service: r for r, k in enumerate(view.table_model.keys)}
    busy = [s for s in rows if touched(s)]
    quiet = [s for s in rows if not touched(s)]
    assert busy and quiet  # the demo at 02:45 has both kinds

    service = busy[0]
    view.table.selectRow(rows[service])
    assert selection.component == service
    node = demo_topology.index[service]
    assert canvas.highlighted_nodes() == set(blast_radius(demo_topology, [node]).nodes.tolist())
    detail = view.detail_text()
    expected = touched(service)
    assert f"Open incidents it would touch: {len(expected)}" in detail
    for domain_id in expected:
        assert domain_id in detail
    assert cell(view, rows[service], 5) == str(len(expected))
    assert "raises the risk" in detail or "lowers the risk" in detail

    view.table.selectRow(rows[quiet[0]])
    assert selection.component == quiet[0]
    assert "Open incidents it would touch: none" in view.detail_text()


def test_training_runs_off_the_gui_thread_with_progress(
    qtbot: QtBot, tmp_path: Path, bridge: EngineBridge, selection: Selection
) -> None:
    lines = (DEMO / "deployments.csv").read_text().splitlines()
    history = tmp_path / "history.csv"
    history.write_text("\n".join(lines[:1501]) + "\n")
    view = RiskView(bridge, Theme("dark"), selection)
    qtbot.addWidget(view)
    seen: list[int] = []
    view.progress.valueChanged.connect(seen.append)
    saved = tmp_path / "m.skops"
    view.train_from(history, save_to=saved, kind="logistic")
    assert view.busy and not view.progress.isHidden()
    assert not view.train_button.isEnabled()
    qtbot.waitUntil(lambda: view.model is not None and not view.busy, timeout=30_000)
    assert any(0 < v < 100 for v in seen)
    assert saved.is_file()
    assert view.train_button.isEnabled()
    assert "1,500 deployments" in view.summary.text()


def test_bad_files_show_one_line_errors_and_nothing_is_lost(
    qtbot: QtBot, tmp_path: Path, at_0245: EngineBridge, model_file: Path
) -> None:
    view = loaded_view(qtbot, at_0245, Selection(), model_file)
    broken = tmp_path / "plan.csv"
    broken.write_text("deploy_id,time,service\nP1,2026-11-27T00:00:00Z,orders-api\n")
    view.open_plan(broken)
    qtbot.waitUntil(lambda: not view.busy, timeout=10_000)
    assert view.status.text().startswith("\u26a0 the plan does not match the model")
    assert "\n" not in view.status.text()
    assert view.table_model.rowCount() == 40  # the last good plan stays
    not_a_model = tmp_path / "x.skops"
    not_a_model.write_text("<script>alert(1)</script>")
    view.open_model(not_a_model)
    qtbot.waitUntil(lambda: not view.busy, timeout=10_000)
    assert "not a Watchfloor risk model" in view.status.text()
    assert view.model is not None and view.status.textFormat() == Qt.TextFormat.PlainText


def test_the_window_has_a_risk_dock_reached_with_alt_7(window: MainWindow) -> None:
    assert isinstance(window.view("risk"), RiskView)
    dock = window.dock("risk")
    assert dock is not None
    action = window.actions_by_id["view.focus_risk"]
    assert [k.toString() for k in action.shortcuts()] == ["Alt+7"]
    keys = [k.toString() for a in window.actions_by_id.values() for k in a.shortcuts()]
    assert len(keys) == len(set(keys))
    action.trigger()
    assert not dock.isHidden()


def test_the_last_model_and_plan_reopen(
    qtbot: QtBot, at_0245: EngineBridge, model_file: Path
) -> None:
    first = loaded_view(qtbot, at_0245, Selection(), model_file)
    state = first.state()
    assert state == {"model": str(model_file), "plan": str(DEMO / "planned.csv")}
    again = RiskView(at_0245, Theme("dark"), Selection())
    qtbot.addWidget(again)
    again.restore_state(state)
    qtbot.waitUntil(lambda: again.table_model.rowCount() == 40 and not again.busy, timeout=20_000)
    again.restore_state({"model": "/nonexistent.skops", "plan": 3})  # ignored
    assert not again.busy and again.table_model.rowCount() == 40


def small_history(folder: Path, rows: int) -> Path:
    lines = (DEMO / "deployments.csv").read_text().splitlines()
    history = folder / "history.csv"
    history.write_text("\n".join(lines[: rows + 1]) + "\n")
    return history


def test_a_model_trained_in_the_console_can_be_saved_and_scores_alike(
    qtbot: QtBot, tmp_path: Path, at_0245: EngineBridge
) -> None:
    from core.risk.scoring import score_plan
    from core.risk.store import load_model

    view = RiskView(at_0245, Theme("dark"), Selection())
    qtbot.addWidget(view)
    assert not view.save_button.isEnabled()  # nothing to save yet
    view.train_from(small_history(tmp_path, 1500), kind="logistic")
    assert not view.save_button.isEnabled()
    qtbot.waitUntil(lambda: view.model is not None and not view.busy, timeout=30_000)
    assert view.save_button.isEnabled()
    target = tmp_path / "trained.skops"
    view.save_model_to(target)
    qtbot.waitUntil(lambda: not view.busy, timeout=20_000)
    assert view.status.text() == f"Saved the model to {target}"
    assert view.state()["model"] == str(target)  # reopened next time
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".trained")]  # atomic
    assert view.model is not None
    loaded = load_model(target)
    assert loaded.schema == view.model.schema
    before, _ = score_plan(view.model, DEMO / "planned.csv")
    after, _ = score_plan(loaded, DEMO / "planned.csv")
    assert [s.score for s in after] == pytest.approx([s.score for s in before], abs=1e-12)

    view.save_model_to(tmp_path / "missing" / "m.skops")
    qtbot.waitUntil(lambda: not view.busy, timeout=20_000)
    assert view.status.text().startswith("\u26a0 ") and "cannot write" in view.status.text()
    assert "\n" not in view.status.text()
    assert view.state()["model"] == str(target)


def test_closing_stops_training_and_drops_its_result(
    qtbot: QtBot, tmp_path: Path, bridge: EngineBridge, selection: Selection
) -> None:
    view = RiskView(bridge, Theme("dark"), selection)
    qtbot.addWidget(view)
    steps: list[int] = []
    view.progress.valueChanged.connect(steps.append)
    saved = tmp_path / "never.skops"
    view.train_from(small_history(tmp_path, 5000), save_to=saved, kind="auto")
    thread = view.training_thread
    assert thread is not None and thread.daemon  # a fit in progress cannot hold up the exit
    qtbot.waitUntil(lambda: bool(steps), timeout=30_000)  # training is under way
    view.shutdown()
    thread.join(60)
    assert not thread.is_alive()
    qtbot.wait(50)  # anything the worker still sent would be delivered now
    assert view.model is None and not saved.exists()
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".skops" or ".never" in p.name]


def test_the_window_stops_risk_training_when_it_closes(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    view = window.view("risk")
    assert isinstance(view, RiskView)
    steps: list[int] = []
    view.progress.valueChanged.connect(steps.append)
    view.train_from(small_history(tmp_path, 5000), kind="auto")
    thread = view.training_thread
    assert thread is not None
    qtbot.waitUntil(lambda: bool(steps), timeout=30_000)
    window.close()
    thread.join(60)
    assert not thread.is_alive() and view.model is None
