"""`watchfloor snapshot` without Qt: `--no-images` works, images fail in one clear line."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from core.snapshot.cli import parse_duration

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / "resources" / "demo"

PROBE = textwrap.dedent(
    """
    import sys

    class Block:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("PySide6", "shiboken6"):
                raise ImportError(f"No module named {name!r}")
            return None

    sys.meta_path.insert(0, Block())
    from console.app import main
    sys.exit(main(sys.argv[1:]))
    """
)


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROBE, *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_without_qt_images_fail_clearly_and_no_images_works(tmp_path: Path) -> None:
    base = ["snapshot", "--topology", str(DEMO / "topology.json")]
    base += ["--replay", str(DEMO / "alerts.ndjson.gz"), "--at", "2026-11-26T02:45:00Z"]
    failed = _run(*base, "--out", str(tmp_path / "a.wfsnap"))
    assert failed.returncode == 2
    assert "images need Qt (PySide6)" in failed.stderr and "--no-images" in failed.stderr
    assert "Traceback" not in failed.stderr and failed.stderr.count("\n") == 1
    assert not (tmp_path / "a.wfsnap").exists()
    done = _run(*base, "--no-images", "--out", str(tmp_path / "b.wfsnap"))
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(tmp_path / "b.wfsnap") as archive:
        names = archive.namelist()
    assert "report.html" in names and not any(n.endswith(".png") for n in names)


@pytest.mark.parametrize(
    ("text", "seconds"), [("1h", 3600), ("90m", 5400), ("2h30m", 9000), ("45s", 45), ("900", 900)]
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "1x", "0", "h"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_risk_file_rows_near_the_window_travel_with_the_snapshot(tmp_path: Path) -> None:
    from core.cli import main
    from core.snapshot.archive import read_snapshot

    out = tmp_path / "risk.wfsnap"
    argv = ["snapshot", "--topology", str(DEMO / "topology.json"), "--replay"]
    argv += [str(DEMO / "alerts.ndjson.gz"), "--at", "2026-11-26T02:45:00Z", "--no-images"]
    argv += ["--risk", str(DEMO / "planned.csv"), "--out", str(out)]
    assert main(argv) == 0
    snapshot = read_snapshot(out)
    assert snapshot.risk is not None
    ids = [row["deploy_id"] for row in snapshot.risk]
    assert "P0001" in ids  # 03:15, half an hour after
    assert "P0002" not in ids  # 09:25, far from the window
    assert "P0001" in snapshot.report_html
