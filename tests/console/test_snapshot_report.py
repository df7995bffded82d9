"""The snapshot's HTML report in a real browser (Debian chromium, headless).

The demo replay carries annotations with `<script>alert(1)</script>` and
`"><img src=x onerror=alert(1)>`; in the browser's parsed DOM they must be
text, never elements. The report must render (a screenshot with content) from
the file alone: no network, no external resources.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from console.app import main as cli_main

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian chromium is not installed"
)


def _chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    out = folder / "demo.wfsnap"
    argv = ["snapshot", "--topology", str(DEMO / "topology.json"), "--replay"]
    argv += [str(DEMO / "alerts.ndjson.gz"), "--at", "2026-11-26T02:50:00Z", "--out", str(out)]
    assert cli_main(argv) == 0
    with zipfile.ZipFile(out) as archive:
        html = archive.read("report.html")
    path = folder / "report.html"
    path.write_bytes(html)
    return path


def test_alert_markup_is_text_in_the_browser_dom(report: Path, tmp_path: Path) -> None:
    result = _chromium(tmp_path / "profile", "--dump-dom", report.as_uri())
    dom = result.stdout
    assert "Incident snapshot" in dom, result.stderr[-2000:]
    lowered = dom.lower()
    assert "<script" not in lowered  # the annotation did not become an element
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    assert "onerror=alert(1)&gt;" in dom  # the img payload is text
    assert '<img src="x"' not in lowered and "<img src=x" not in lowered
    images = [part for part in lowered.split("<img")[1:]]
    assert len(images) == 2 and all('src="data:image/png;base64,' in p for p in images)


def test_report_renders_to_a_screenshot(report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    result = _chromium(
        tmp_path / "profile", f"--screenshot={shot}", "--window-size=1280,2000", report.as_uri()
    )
    assert shot.is_file(), result.stderr[-2000:]
    image = QImage(str(shot))
    assert (image.width(), image.height()) == (1280, 2000)
    # not a blank page: many distinct colours (text, severity bars, cards)
    colours = {image.pixel(x, y) for x in range(0, 1280, 7) for y in range(0, 2000, 7)}
    assert len(colours) > 20
