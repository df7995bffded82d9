"""History files: column roles by default and by option, and clear errors for bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.risk.data import ColumnRoles, HistoryError, load_history, load_plan
from tests.core.risk.conftest import DEMO, GERRIT

HEADER = "deploy_id,time,service,change_size,canary,failed\n"


def write(tmp_path: Path, text: str, name: str = "history.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_demo_history_roles_come_from_the_default_names() -> None:
    history = load_history(DEMO / "deployments.csv")
    schema = history.schema
    assert (schema.label, schema.time, schema.id, schema.service) == (
        "failed",
        "time",
        "deploy_id",
        "service",
    )
    assert "change_size" in schema.numeric and "canary" in schema.numeric
    assert schema.categorical == ("team", "service")
    assert len(history) == 5000
    assert history.labels is not None and 0.10 < history.labels.mean() < 0.14
    assert np.all(np.diff(history.times) >= 0)
    assert history.ids[0] == "D00001"


def test_real_change_history_sets_aside_the_index_and_the_copy_of_the_label() -> None:
    history = load_history(GERRIT)
    schema = history.schema
    assert (schema.label, schema.time, schema.id, schema.service) == ("bug", "date", "_id", None)
    assert "__" not in schema.features and "Unnamed: 0" not in schema.features
    assert any("'__' equals the outcome" in note for note in history.notes)
    assert any("unnamed index" in note for note in history.notes)
    assert set(schema.numeric) == {
        "ns", "nd", "nf", "entrophy", "la", "ld", "lt", "fix",
        "ndev", "age", "nuc", "exp", "rexp", "sexp",
    }  # fmt: skip


def test_roles_and_exclusions_can_be_named(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "when,what,outcome,size,noise\n"
        "2026-01-01T00:00:00Z,a,yes,10,1\n"
        "2026-01-02T00:00:00Z,b,no,20,2\n",
    )
    history = load_history(path, ColumnRoles(label="outcome", service="what", exclude=("noise",)))
    assert history.schema.time == "when"
    assert history.schema.numeric == ("size",)
    assert history.services == ["a", "b"]
    assert history.labels is not None and history.labels.tolist() == [1, 0]


def test_rows_come_out_in_time_order_and_epoch_times_are_read(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "b,1700000100,s,5,0,1\na,1700000000000,s,3,1,0\n")
    history = load_history(path)
    assert history.ids == ["a", "b"]
    assert history.times.tolist() == [1700000000.0, 1700000100.0]


def test_missing_feature_values_are_kept_for_imputation(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "a,1,s,,1,0\nb,2,,7,0,1\n")
    history = load_history(path)
    assert np.isnan(history.features["change_size"].iloc[0])
    assert history.features["service"].iloc[1] is None


def test_rows_without_an_outcome_are_left_out_with_a_note(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "a,1,s,3,1,0\nb,2,s,4,1,\nc,3,s,5,0,1\n")
    history = load_history(path)
    assert history.ids == ["a", "c"]
    assert any("without an outcome" in note and "line 3" in note for note in history.notes)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("a,1,s,3,1,0\nb,2,s,lots,1,1\n" + "c,3,s,4,0,0\n" * 30, "'change_size' is numeric"),
        ("a,yesterday,s,3,1,0\n", "cannot read 'yesterday' as a time on line 2"),
        ("a,,s,3,1,0\n", "missing time on line 2"),
        ("a,1,s,3,1,maybe\n", "'maybe' on line 2 is not an outcome"),
        (",1,s,3,1,0\n", "missing id on line 2"),
    ],
)
def test_malformed_histories_give_one_line_errors(tmp_path: Path, body: str, message: str) -> None:
    path = write(tmp_path, HEADER + body)
    with pytest.raises(HistoryError, match=message.replace("(", r"\(")) as info:
        load_history(path)
    assert "\n" not in str(info.value)


def test_a_stray_word_error_names_its_line(tmp_path: Path) -> None:
    rows = "".join(f"d{i},{i},s,{i},1,{i % 2}\n" for i in range(40))
    path = write(tmp_path, HEADER + rows + "x,99,s,lots,1,0\n")
    with pytest.raises(HistoryError, match="first 'lots' on line 42"):
        load_history(path)


def test_a_mostly_text_column_is_categorical(tmp_path: Path) -> None:
    path = write(tmp_path, "id,time,failed,region\na,1,0,eu\nb,2,1,us\nc,3,0,7\n")
    assert load_history(path).schema.categorical == ("region",)


@pytest.mark.parametrize(
    ("text", "roles", "message"),
    [
        ("time,size\n1,2\n", ColumnRoles(), "no label column"),
        ("failed,size\n1,2\n", ColumnRoles(), "no time column"),
        (HEADER + "a,1,s,3,1,0\n", ColumnRoles(label="nope"), "--label 'nope': no such column"),
        (HEADER + "a,1,s,3,1,0\n", ColumnRoles(exclude=("x",)), "--exclude 'x'"),
        (HEADER, ColumnRoles(), "no rows"),
        ("", ColumnRoles(), "not a readable CSV"),
    ],
)
def test_unusable_tables_are_refused(
    tmp_path: Path, text: str, roles: ColumnRoles, message: str
) -> None:
    with pytest.raises(HistoryError, match=message):
        load_history(write(tmp_path, text), roles)


def test_binary_garbage_and_missing_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(HistoryError, match="no such file"):
        load_history(tmp_path / "absent.csv")
    garbage = tmp_path / "history.parquet"
    garbage.write_bytes(b"\x00\x01not parquet\xff")
    with pytest.raises(HistoryError, match=r"history\.parquet"):
        load_history(garbage)


def test_a_plan_must_match_the_training_schema(tmp_path: Path) -> None:
    schema = load_history(DEMO / "deployments.csv").schema
    plan = load_plan(DEMO / "planned.csv", schema)
    assert len(plan) == 40 and plan.labels is None
    lacking = write(tmp_path, "deploy_id,time,service\nP1,2026-11-27T00:00:00Z,orders-api\n")
    with pytest.raises(HistoryError, match="lacks column\\(s\\) change_size, "):
        load_plan(lacking, schema)
    text = (DEMO / "planned.csv").read_text().splitlines()
    header = text[0].split(",")
    row = text[1].split(",")
    row[header.index("change_size")] = "big"
    wrong = write(tmp_path, "\n".join([text[0], ",".join(row)]) + "\n", "plan.csv")
    with pytest.raises(HistoryError, match="'change_size' was numeric in training"):
        load_plan(wrong, schema)
