"""`watchfloor risk train | evaluate | score` end to end, and one-line errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from core.cli import main
from core.risk.model import RiskModel
from core.risk.store import load_model, save_model
from tests.core.risk.conftest import DEMO, GERRIT

TOPOLOGY = str(DEMO / "topology.json")


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, demo_model: RiskModel) -> Path:
    """The demo model (trained by `risk.scoring.train`, as the command does) saved."""
    model = tmp_path_factory.mktemp("risk") / "demo.skops"
    save_model(demo_model, model)
    return model


@pytest.fixture(scope="module")
def small_gerrit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 500 changes of the gerrit sample: enough for every step, quick to fit."""
    path = tmp_path_factory.mktemp("gerrit") / "gerrit500.csv"
    path.write_text("\n".join(GERRIT.read_text().splitlines()[:501]) + "\n")
    return path


def test_train_writes_a_model_and_reports_progress_and_holdout(
    small_gerrit: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = tmp_path / "g.skops"
    status = main(["risk", "train", "--history", str(small_gerrit), "--model", str(model)])
    out, err = capsys.readouterr()
    assert status == 0 and model.is_file()
    assert "Trained " in out and "ROC AUC" in out and "Bands: low < " in out
    assert "holdout: comparing logistic" in err and "[100%]" in err  # progress on stderr
    assert "note: column '__' equals the outcome" in err
    assert not list(tmp_path.glob(".g.skops.*"))  # the temp file was renamed
    assert load_model(model).metrics["n_test"] == pytest.approx(100, abs=3)


def test_score_prints_csv_and_json_with_bands_and_explanations(
    trained: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["risk", "score", "--model", str(trained), "--plan", str(DEMO / "planned.csv")]) == 0
    )
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 40
    assert rows[0]["id"] == "P0001" and rows[0]["service"] == "catalog-web"
    assert {r["band"] for r in rows} <= {"low", "medium", "high"}
    assert all(0 < float(r["score"]) < 1 for r in rows)
    assert all(("raises:" in r["explanation"]) or ("lowers:" in r["explanation"]) for r in rows)

    argv = ["risk", "score", "--model", str(trained), "--plan", str(DEMO / "planned.csv"),
            "--format", "json"]  # fmt: skip
    assert main(argv) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["thresholds"]["medium"] < body["thresholds"]["high"]
    first = body["deployments"][0]
    total = first["baseline_log_odds"] + sum(c["log_odds"] for c in first["contributions"])
    assert total == pytest.approx(_logit(first["score"]), abs=1e-4)


def _logit(p: float) -> float:
    import math

    return math.log(p / (1 - p))


def test_evaluate_json_has_the_documented_keys(
    small_gerrit: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["risk", "evaluate", "--history", str(small_gerrit), "--kind", "logistic", "--format",
            "json", "--folds", "2", "--quiet"]  # fmt: skip
    assert main(argv) == 0
    out, err = capsys.readouterr()
    result = json.loads(out)
    for key in ("roc_auc", "pr_auc", "brier", "top10_capture", "top20_capture"):
        assert 0.0 <= result[key] <= 1.0
    assert result["n_train"] + result["n_test"] == 500
    assert result["n_train"] == pytest.approx(400, abs=3)
    assert len(result["calibration"]) == 10
    assert len(result["rolling"]["folds"]) == 2
    assert err == ""


def test_evaluate_text(small_gerrit: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["risk", "evaluate", "--history", str(small_gerrit), "--kind", "logistic",
            "--folds", "0", "--quiet"]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "time-aware" in out and "Top 10% holds" in out and "Calibration" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["risk", "train", "--history", "absent.csv", "--model", "m.skops"], "no such file"),
        (["risk", "evaluate", "--history", str(GERRIT), "--label", "nope"], "--label 'nope'"),
        (
            [
                "risk",
                "evaluate",
                "--history",
                str(DEMO / "deployments.csv"),
                "--replay",
                str(DEMO / "alerts.ndjson.gz"),
            ],
            "--replay needs --topology",
        ),
        (["risk", "score", "--model", str(GERRIT), "--plan", str(GERRIT)], "not a Watchfloor"),
    ],
)
def test_errors_are_one_line_with_exit_status_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_scoring_with_a_model_from_other_history_is_refused(
    trained: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["risk", "score", "--model", str(trained), "--plan", str(GERRIT)]) == 2
    assert "the plan does not match the model" in capsys.readouterr().err
