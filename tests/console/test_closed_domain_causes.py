"""After a backwards seek, closed incidents in a range show the causes a straight play shows."""

from __future__ import annotations

from PySide6.QtCore import Qt

from console.views.incidents import IncidentsView
from console.views.incidents_text import CLOSED_IMPACT, SILENT_GLYPH
from core.model import parse_time
from tests.console.conftest import demo_incidents

DISPLAY = Qt.ItemDataRole.DisplayRole
RANGE = (parse_time("2026-11-26T02:05:00Z"), parse_time("2026-11-26T02:59:00Z"))


def closed_rows(view: IncidentsView) -> dict[str, list[str]]:
    """The closed domains' rows in the range, as displayed."""
    model = view.model
    view.selection.set_time_range(RANGE)
    rows = {}
    for key in model.keys:
        r = model.row_of(key)
        assert r is not None
        cells = [model.data(model.index(r, c), DISPLAY) for c in range(7)]
        if cells[5].startswith("closed"):
            rows[key] = cells
    return rows


def test_a_backwards_seek_shows_the_closed_domains_causes(qtbot, demo_topology, demo_records):
    target = RANGE[1]
    views = [demo_incidents(qtbot, demo_topology, demo_records) for _ in range(2)]
    (played, played_bridge, played_view), (sought, sought_bridge, sought_view) = views
    t = played.start_time
    assert t is not None and sought.end_time is not None
    while t < target:  # straight play, the list showing the open domains as it goes
        t = min(target, t + 20.0)
        played_bridge.push(played.advance(t))
        played_bridge.flush()
        played_view.model.data(played_view.model.index(0, 3), DISPLAY)
    sought_bridge.push(sought.advance(sought.end_time))
    sought_bridge.flush()
    sought_bridge.reset(sought.seek(target))  # back: the engine is rebuilt in big batches

    expected = closed_rows(played_view)
    shown = closed_rows(sought_view)
    assert shown == expected
    causes = {key: cells[3] for key, cells in shown.items()}
    assert CLOSED_IMPACT not in causes.values(), "every closed incident shows a cause"
    silent = [key for key, cause in causes.items() if cause == f"{SILENT_GLYPH} tor-r03 (silent)"]
    assert len(silent) == 1, causes  # the demo's silent top-of-rack switch

    (key,) = silent
    r = sought_view.model.row_of(key)
    assert r is not None
    tip = sought_view.model.data(sought_view.model.index(r, 3), Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("at its peak, ") and "silent: no alert of its own" in tip
    sought_view.table.selectRow(r)
    assert sought_view.selected_domain == key
    detail = sought_view.detail_text()
    assert f"Top root cause at its peak: {SILENT_GLYPH} tor-r03 (silent)" in detail
    assert "Root causes at its peak (" in detail
    assert f" 1. {SILENT_GLYPH} tor-r03  score " in detail
