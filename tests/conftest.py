"""Test-wide setup: Qt runs headless (offscreen), never with the user's settings."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
