"""History on the console's command line and in its settings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from console.app import UsageError, parse_options
from console.history_link import HistorySettings
from core.history.paths import default_history_path, user_data_dir
from core.history.reader import HistoryReader
from core.history.store import connect

ROOT = Path(__file__).resolve().parents[2]


def test_history_options(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    connect(db).close()
    options = parse_options(["--history", str(db), "--at", "2026-11-26T02:20:00Z"])
    assert options.time_travel and options.history == db
    options = parse_options(["--demo", "--history", str(db), "--at", "2026-11-26T02:20:00Z"])
    assert not options.time_travel  # the demo opens as of --at, recorded into db
    options = parse_options(["--demo", "--no-history", "--retention-days", "7"])
    assert options.no_history and options.retention_days == 7


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--at", "2026-11-26T02:20:00Z"], "--at needs a replay (--replay or --demo) or --history"),
        (["--history", "/nonexistent/h.sqlite", "--at", "0"], "--history: no such file"),
        (["--demo", "--retention-days", "-1"], "--retention-days"),
        (["--history", "/tmp"], "--history: '/tmp' is a folder"),
    ],
)
def test_bad_history_options_are_one_line(args: list[str], says: str) -> None:
    with pytest.raises(UsageError) as error:
        parse_options(args)
    assert str(error.value).startswith(says) and "\n" not in str(error.value)


def test_settings_give_path_and_retention_and_the_command_line_wins(tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    assert HistorySettings.load(settings).path == default_history_path()
    HistorySettings(tmp_path / "saved.sqlite", enabled=False, retention_days=3).save(settings)
    loaded = HistorySettings.load(settings)
    assert (loaded.path, loaded.enabled, loaded.retention_days) == (
        tmp_path / "saved.sqlite",
        False,
        3.0,
    )
    override = HistorySettings.load(settings, path=tmp_path / "cli.sqlite", retention_days=9)
    assert (override.path, override.retention_days) == (tmp_path / "cli.sqlite", 9.0)


def test_default_place_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("WATCHFLOOR_HISTORY", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_history_path() == tmp_path / "data" / "watchfloor" / "history.sqlite"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")
    assert user_data_dir() == Path.home() / ".local" / "share" / "watchfloor"
    monkeypatch.setenv("WATCHFLOOR_HISTORY", str(tmp_path / "env.sqlite"))
    assert default_history_path() == tmp_path / "env.sqlite"


def test_a_scripted_console_run_records_beside_its_settings(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "console.app", "--demo", "--speed", "max", "--exit-after", "3",
         "--settings", str(tmp_path / "s.ini")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    history = tmp_path / "watchfloor-history.sqlite"
    with HistoryReader(history) as reader:
        assert reader.stats()["events"] > 0  # the window's close committed what was queued
    assert not (tmp_path / ".local").exists()  # nothing in the user's data directory
    assert "[history]" in (tmp_path / "s.ini").read_text()  # editable there
