"""Where the embedded history lives by default: the user's data directory.

Follows the XDG base directory spec the way platformdirs does on Linux
($XDG_DATA_HOME, else ~/.local/share), with the usual places on macOS and
Windows, without importing Qt (core stays headless).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_DIR = "watchfloor"
FILE_NAME = "history.sqlite"
ENV_OVERRIDE = "WATCHFLOOR_HISTORY"
"""An environment variable that names the store, ahead of the default place."""


def user_data_dir() -> Path:
    """The per-user data directory for Watchfloor (not created here)."""
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / APP_DIR
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / APP_DIR
    base = os.environ.get("XDG_DATA_HOME", "").strip()
    if not base or not os.path.isabs(base):  # the spec says relative values are ignored
        base = str(Path.home() / ".local" / "share")
    return Path(base) / APP_DIR


def default_history_path() -> Path:
    """$WATCHFLOOR_HISTORY when set, else <user data dir>/history.sqlite."""
    override = os.environ.get(ENV_OVERRIDE, "").strip()
    if override:
        return Path(override).expanduser()
    return user_data_dir() / FILE_NAME
