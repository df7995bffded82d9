"""Start-up time of the console on the demo (budget: usable window <= 2 s, DESIGN.md 5).

Each run is a fresh process (imports included), offscreen, with throwaway
settings. Printed per run and as medians:
- first frame: process start to the main window's first paint;
- usable: process start to the window painted with the demo loaded into its views
  (the replay can play), whichever of the two came last.

    python -m benchmarks.bench_startup [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, os, sys, time
T0 = float(os.environ["WATCHFLOOR_T0"])
from PySide6.QtCore import QEvent, QObject, QSettings
from PySide6.QtWidgets import QApplication
from console.main_window import MainWindow
from console.selection import Selection
from console.session import Session
from console.shell import theme_from_settings

marks = {}

class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and "first_frame" not in marks:
            marks["first_frame"] = time.time() - T0
            if "loaded" in marks:
                done()
        return False

app = QApplication(["watchfloor"])
settings = QSettings(sys.argv[1], QSettings.Format.IniFormat)
theme = theme_from_settings(settings)
theme.apply(app)
session = Session()
window = MainWindow(session, theme, Selection(), settings)
painter = FirstPaint()
window.installEventFilter(painter)

def loaded():
    marks["loaded"] = time.time() - T0
    if "first_frame" in marks:
        done()

def done():
    # usable: the window is on screen and the demo is in its views, whichever came last
    marks["usable"] = time.time() - T0
    app.processEvents()
    print(json.dumps(marks))
    window.close()
    app.quit()

session.sig_loaded.connect(loaded)
session.open_demo(autoplay=False)
window.show()
app.exec()
"""


def one_run() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "WATCHFLOOR_T0": repr(time.time())}
        result = subprocess.run(
            [sys.executable, "-c", CHILD, str(Path(folder) / "s.ini")],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
    marks: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return marks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    runs = [one_run() for _ in range(args.runs)]
    for i, marks in enumerate(runs, start=1):
        print(f"run {i}: first frame {marks['first_frame']:.2f} s, usable {marks['usable']:.2f} s")
    first = statistics.median(m["first_frame"] for m in runs)
    usable = statistics.median(m["usable"] for m in runs)
    print(f"median of {args.runs}: first frame {first:.2f} s, usable {usable:.2f} s (budget 2 s)")


if __name__ == "__main__":
    main()
