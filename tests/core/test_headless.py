"""`core` runs headless: every module imports with Qt and the console blocked."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = textwrap.dedent(
    """
    import importlib, pkgutil, sys

    BLOCKED = ("PySide6", "shiboken6", "pyqtgraph", "qasync", "console")

    class Block:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"{name} is blocked: core must not import it")
            return None

    sys.meta_path.insert(0, Block())
    import core
    names = [m.name for m in pkgutil.walk_packages(core.__path__, "core.")]
    for name in names:
        importlib.import_module(name)
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
    assert not loaded, loaded
    print(len(names))
    """
)


def test_every_core_module_imports_without_qt_or_console() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) >= 15  # the probe really walked the package
