"""The `watchfloor` entry point: headless dispatch, argument errors, scripted screenshots."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from console.app import main

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "resources" / "demo"


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "console.app", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
        check=False,
    )


def test_analyze_runs_without_loading_qt() -> None:
    probe = textwrap.dedent(
        f"""
        import sys
        from console.app import main
        code = main(["analyze", "--topology", {str(DEMO / "topology.json")!r},
                     "--replay", {str(DEMO / "alerts.ndjson.gz")!r}, "--format", "json"])
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6"))
        assert not loaded, loaded
        sys.exit(code)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert '"domains"' in result.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--bogus"], "unrecognized arguments"),
        (["--topology", "/nonexistent/topo.json"], "no such file"),
        (["--topology", str(DEMO / "topology.json"), "--replay", "/nope.ndjson"], "no such file"),
        (["--replay", str(DEMO / "alerts.ndjson.gz")], "--replay needs --topology"),
        (["--demo", "--speed", "fast"], "--speed"),
        (["--demo", "--speed", "-2"], "--speed"),
        (["--theme", "blue"], "invalid choice"),
        (["--demo", "--at", "yesterday"], "--at"),
        (["--demo", "--screenshot", "/tmp/x.png"], "--exit-after"),
        (["--demo", "--screenshot", "/nonexistent/dir/x.png", "--exit-after", "1"], "cannot write"),
        (["--demo", "--size", "huge"], "--size"),
        (["--demo", "--exit-after", "-1"], "--exit-after"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(
    args: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("watchfloor: error:") and says in err
    assert "Traceback" not in err


def test_bad_arguments_in_a_real_process_open_no_window(tmp_path: Path) -> None:
    result = run(
        "--topology", str(tmp_path / "missing.json"), "--settings", str(tmp_path / "s.ini")
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "s.ini").exists()  # never got as far as a window


def test_screenshot_writes_the_window_and_exits_0(tmp_path: Path) -> None:
    out = tmp_path / "out.png"
    result = run(
        "--demo",
        "--screenshot",
        str(out),
        "--exit-after",
        "2",
        "--size",
        "1280x800",
        "--settings",
        str(tmp_path / "s.ini"),
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1280, 800)
    colours = {image.pixel(x, y) for x in range(0, 1280, 16) for y in range(0, 800, 16)}
    assert len(colours) > 20, "the screenshot is blank"
    assert (tmp_path / "s.ini").exists()  # settings went to the INI file given


def test_a_malformed_topology_in_a_script_exits_2(tmp_path: Path) -> None:
    topology = tmp_path / "topology.json"
    topology.write_text("{not json", encoding="utf-8")
    result = run(
        "--topology",
        str(topology),
        "--screenshot",
        str(tmp_path / "out.png"),
        "--exit-after",
        "0",
        "--settings",
        str(tmp_path / "s.ini"),
    )
    assert result.returncode == 2
    assert "topology.json" in result.stderr and "Traceback" not in result.stderr
