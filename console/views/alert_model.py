"""The alerts table model: maps visible rows (filtered, sorted) onto the columnar store.

Updates from the bridge are applied incrementally: rows that appear are
inserted at their sorted place (beginInsertRows), rows that leave the filter
or move in the sort order are removed and re-inserted, the rest get
dataChanged. Only a burst touching many scattered places falls back to one
layout change (with persistent indexes carried over, so the operator's
selection survives); only a new engine resets the model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QColor

from console.theme import SEVERITY_GLYPHS, Theme
from console.views.alert_store import (
    BASE_COLUMNS,
    LABEL_PREFIX,
    AgeClock,
    AlertFilter,
    AlertStore,
    IntArray,
)
from console.widgets.painted_table import LEFT_ALIGNED, RIGHT_ALIGNED, CellLook
from console.widgets.tables import FlatTableModel, Index
from core.engine import Engine
from core.model import Severity
from core.textsafe import safe_text

_MAX_RUNS = 64  # more separate insert/remove places than this: one layout change
_NUMERIC = frozenset({"repeats", "episodes"})
_ROLES = frozenset(
    {
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.ForegroundRole,
        Qt.ItemDataRole.BackgroundRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.TextAlignmentRole,
        Qt.ItemDataRole.UserRole + 1,
    }
)


class AlertTableModel(FlatTableModel):
    """Visible alerts as rows; columns are the base columns plus chosen label columns."""

    sig_rows_changed = Signal(int, int)
    """(visible rows, total alerts) after any change."""

    FINGERPRINT_ROLE = Qt.ItemDataRole.UserRole + 1

    def __init__(self, engine: Engine, theme: Theme) -> None:
        super().__init__()
        self.theme = theme
        self.store = AlertStore(engine)
        self.columns: list[str] = list(BASE_COLUMNS)
        self.filter = AlertFilter()
        self.sort_column: str | None = None
        self.descending = False
        self._order: IntArray = np.zeros(0, dtype=np.int64)
        self._keys: np.ndarray[Any, Any] = np.zeros(0)
        self._ages = AgeClock()
        self._cache_colors()
        self._recompute()
        theme.sig_changed.connect(self._restyle)

    # -- Qt model API -----------------------------------------------------------

    def row_total(self) -> int:
        return int(self._order.size)

    def column_total(self) -> int:
        return len(self.columns)

    def header_title(self, section: int) -> str:
        return column_title(self.columns[section])

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in _ROLES or not index.isValid() or index.row() >= self._order.size:
            return None
        row = int(self._order[index.row()])
        column = self.columns[index.column()]
        if role == self.FINGERPRINT_ROLE:
            return self.store.fingerprints[row]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column)
        look = self._look(row, column, self.store.engine.clock)
        if role == Qt.ItemDataRole.DisplayRole:
            return look.text
        if role == Qt.ItemDataRole.ForegroundRole:
            return look.foreground
        if role == Qt.ItemDataRole.BackgroundRole:
            return look.background
        return look.alignment  # TextAlignmentRole

    def cell_looks(self, rows: range, columns: Sequence[int]) -> list[list[CellLook]]:
        """The looks of a block of visible cells, for PaintedTableView (one call per paint).

        Built by the same cell makers as `data()`, so the table paints exactly
        the text, colours and alignment that `data()` reports.
        """
        clock = self.store.engine.clock
        makers = [self._cell_maker(self.columns[c], clock) for c in columns]
        shown = self._order[rows.start : rows.stop]
        text, muted = self._colors["text"], self._colors["text_muted"]
        return [
            [make(row, text if firing else muted) for make in makers]
            for row, firing in zip(
                shown.tolist(), self.store.column("firing")[shown].tolist(), strict=True
            )
        ]

    def _look(self, row: int, column: str, clock: float | None) -> CellLook:
        """How the cell of store row `row` in `column` is shown (text escaped)."""
        foreground = self._colors["text" if self.store.firing(row) else "text_muted"]
        return self._cell_maker(column, clock)(row, foreground)

    def _cell_maker(self, column: str, clock: float | None) -> Callable[[int, QColor], CellLook]:
        """(store row, the row's text colour) -> the look of its cell in `column`."""
        if column == "severity":
            looks, severities = self._severity_looks, self.store.column("severity")
            return lambda row, _foreground: looks[int(severities[row])]
        text_of = self.store.text_of(column, clock)
        alignment = RIGHT_ALIGNED if column in _NUMERIC else LEFT_ALIGNED
        return lambda row, foreground: CellLook(
            safe_text(text_of(row)), foreground, None, alignment
        )

    def _tooltip(self, row: int, column: str) -> str | None:
        store = self.store
        if column in ("starts", "ends"):
            return store.full_time(row, column) or None
        if column in ("summary", "alertname") or column.startswith(LABEL_PREFIX):
            return safe_text(store.text(row, column, None)) or None
        return None

    def _cache_colors(self) -> None:
        """Colours the cells use, made once per theme rather than once per cell and paint."""
        theme = self.theme
        colors: dict[Any, QColor] = {"text": theme.color("text")}
        colors["text_muted"] = theme.color("text_muted")
        for severity in Severity:
            colors[("severity", severity)] = theme.severity_color(severity)
            colors[("severity_text", severity)] = theme.severity_text_color(severity)
        self._colors = colors
        # A severity cell's look depends on the severity alone: glyph + name, theme colours.
        self._severity_looks = {
            int(severity): CellLook(
                f"{SEVERITY_GLYPHS[severity]} {severity.label}",
                colors[("severity_text", severity)],
                colors[("severity", severity)],
                LEFT_ALIGNED,
            )
            for severity in Severity
        }

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = self.columns[column] if 0 <= column < len(self.columns) else None
        self.set_sort(key, order == Qt.SortOrder.DescendingOrder)

    # -- operator requests ------------------------------------------------------

    def set_sort(self, column: str | None, descending: bool) -> None:
        self.sort_column, self.descending = column, descending
        self._relayout()

    def set_filter(self, spec: AlertFilter) -> None:
        if spec != self.filter:
            self.filter = spec
            self._relayout()

    def set_label_columns(self, names: list[str]) -> None:
        """Show exactly these labels as extra columns (after the base columns)."""
        wanted = [LABEL_PREFIX + n for n in names]
        for i in range(len(self.columns) - 1, len(BASE_COLUMNS) - 1, -1):
            if self.columns[i] not in wanted:
                self.beginRemoveColumns(QModelIndex(), i, i)
                del self.columns[i]
                self.endRemoveColumns()
        for key in wanted:
            if key not in self.columns:
                self.store.label_codes(key[len(LABEL_PREFIX) :])
                at = len(self.columns)
                self.beginInsertColumns(QModelIndex(), at, at)
                self.columns.append(key)
                self.endInsertColumns()

    @property
    def label_columns(self) -> list[str]:
        return [c[len(LABEL_PREFIX) :] for c in self.columns if c.startswith(LABEL_PREFIX)]

    def fingerprint_at(self, row: int) -> str | None:
        if 0 <= row < self._order.size:
            return self.store.fingerprints[int(self._order[row])]
        return None

    def row_of(self, fingerprint: str) -> int | None:
        """Visible row of an alert, or None when filtered out or unknown."""
        store_row = self.store.row_of.get(fingerprint)
        if store_row is None:
            return None
        hits = np.flatnonzero(self._order == store_row)
        return int(hits[0]) if hits.size else None

    @property
    def total(self) -> int:
        return self.store.n

    # -- following the engine ---------------------------------------------------

    def reset_engine(self, engine: Engine) -> None:
        self.beginResetModel()
        self.store.load(engine)
        self._order, self._keys = self._compute()
        self.endResetModel()
        self._announce()

    def alerts_changed(self, fingerprints: list[str]) -> None:
        """Bring in the current state of these alerts (added, updated or resolved)."""
        store = self.store
        alerts = store.engine.alerts
        known = np.asarray(
            [store.row_of[fp] for fp in fingerprints if fp in store.row_of], dtype=np.int64
        )
        before = self._identity(known)
        added, updated = store.upsert([alerts[fp] for fp in fingerprints if fp in alerts])
        rows = np.unique(np.asarray(added + updated, dtype=np.int64))
        if rows.size:
            moved = np.ones(rows.size, dtype=bool)
            at = np.searchsorted(rows, known)
            moved[at] = before != self._identity(rows)[at]
            # New interned values shift ranks, not the order of what is shown.
            self._keys = self._key_of(self._order)
            self._apply(rows, moved)
        self._announce()

    def _identity(self, rows: IntArray) -> np.ndarray[Any, Any]:
        if self.sort_column is None:
            return rows.copy()
        return self.store.sort_identity(self.sort_column)[rows].copy()

    def domains_changed(self, delta: tuple[list[str], list[str], list[str]] | None = None) -> None:
        """Domains changed: (opened, changed, closed) as the bridge emits them, or None: all."""
        store = self.store
        if delta is None:
            store.set_domains(store.engine.domain_ids())
        else:
            store.update_domains(*delta)
        if self.filter.domain is not None or self.sort_column == "domain":
            self._relayout()
        elif "domain" in self.columns and self._order.size:
            column = self.columns.index("domain")
            self.dataChanged.emit(self.index(0, column), self.index(self._order.size - 1, column))

    def clock_changed(self) -> None:
        """Ages of firing alerts moved on (repainted once the clock moved AGE_STEP)."""
        if not self._ages.moved(self.store.engine.clock):
            return
        if "ends" in self.columns and self._order.size:
            column = self.columns.index("ends")
            self.dataChanged.emit(
                self.index(0, column),
                self.index(self._order.size - 1, column),
                [Qt.ItemDataRole.DisplayRole],
            )

    # -- internals ----------------------------------------------------------------

    def _key_of(self, rows: IntArray) -> np.ndarray[Any, Any]:
        if self.sort_column is None:
            key: np.ndarray[Any, Any] = rows.astype(np.float64)
        else:
            key = self.store.sort_key(self.sort_column)[rows]
        return -key if self.descending else key

    def _compute(self) -> tuple[IntArray, np.ndarray[Any, Any]]:
        rows = np.flatnonzero(self.store.mask(self.filter)).astype(np.int64)
        key = self._key_of(rows)
        order = np.argsort(key, kind="stable")
        return rows[order], key[order]

    def _recompute(self) -> None:
        self._order, self._keys = self._compute()

    def _relayout(self) -> None:
        """Recompute the whole order as one layout change, carrying persistent indexes."""
        self.layoutAboutToBeChanged.emit()
        old = self._order
        self._order, self._keys = self._compute()
        position = np.full(self.store.n, -1, dtype=np.int64)
        position[self._order] = np.arange(self._order.size)
        before = self.persistentIndexList()
        after = []
        for index in before:
            new_row = int(position[old[index.row()]]) if index.row() < old.size else -1
            after.append(QModelIndex() if new_row < 0 else self.index(new_row, index.column()))
        self.changePersistentIndexList(before, after)
        self.layoutChanged.emit()
        self._announce()

    def _apply(self, rows: IntArray, moved: np.ndarray[Any, Any]) -> None:
        """Place changed store rows: remove the ones that leave or move, insert at sorted place."""
        order = self._order
        position = np.full(self.store.n, -1, dtype=np.int64)
        position[order] = np.arange(order.size)
        passing = self.store.mask(self.filter, rows)
        new_keys = self._key_of(rows)
        pos = position[rows]
        visible = pos >= 0
        same_place = visible & passing & ~moved
        leaving = visible & ~same_place
        entering = passing & ~same_place
        remove_at = np.sort(pos[leaving])
        entering_rows = rows[entering]
        entering_keys = new_keys[entering]
        runs = _runs(remove_at)
        if len(runs) > _MAX_RUNS or entering_rows.size > 4 * _MAX_RUNS:
            self._relayout()
            return
        for start, stop in reversed(runs):
            self.beginRemoveRows(QModelIndex(), start, stop - 1)
            self._order = np.delete(self._order, slice(start, stop))
            self._keys = np.delete(self._keys, slice(start, stop))
            self.endRemoveRows()
        if entering_rows.size:
            by_key = np.lexsort((entering_rows, entering_keys))
            entering_rows, entering_keys = entering_rows[by_key], entering_keys[by_key]
            places = [self._place(k, r) for k, r in zip(entering_keys, entering_rows, strict=True)]
            groups = _group(places)
            if len(groups) > _MAX_RUNS:
                self._relayout()
                return
            offset = 0  # rows inserted so far shift later places down
            for place, start, stop in groups:
                at = place + offset
                count = stop - start
                self.beginInsertRows(QModelIndex(), at, at + count - 1)
                self._order = np.insert(self._order, at, entering_rows[start:stop])
                self._keys = np.insert(self._keys, at, entering_keys[start:stop])
                self.endInsertRows()
                offset += count
        if same_place.any():
            # Rows that stayed put may have been shifted by the inserts above.
            position = np.full(self.store.n, -1, dtype=np.int64)
            position[self._order] = np.arange(self._order.size)
            stayed = position[rows[same_place]]
            self.dataChanged.emit(
                self.index(int(stayed.min()), 0),
                self.index(int(stayed.max()), len(self.columns) - 1),
            )

    def _place(self, key: Any, row: int) -> int:
        """Where (key, row) goes in the current order (ties by arrival order)."""
        keys = self._keys
        low = int(np.searchsorted(keys, key, side="left"))
        high = int(np.searchsorted(keys, key, side="right"))
        if low == high:
            return low
        return low + int(np.searchsorted(self._order[low:high], row))

    def _restyle(self) -> None:
        self._cache_colors()
        if self._order.size:
            self.dataChanged.emit(
                self.index(0, 0),
                self.index(self._order.size - 1, len(self.columns) - 1),
                [Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.BackgroundRole],
            )

    def _announce(self) -> None:
        self.sig_rows_changed.emit(int(self._order.size), self.store.n)


def column_title(key: str) -> str:
    if key.startswith(LABEL_PREFIX):
        return safe_text(key[len(LABEL_PREFIX) :])
    return BASE_COLUMNS.get(key, key)


def _runs(sorted_positions: IntArray) -> list[tuple[int, int]]:
    """Contiguous runs [start, stop) of sorted positions."""
    if not sorted_positions.size:
        return []
    breaks = np.flatnonzero(np.diff(sorted_positions) != 1) + 1
    starts = np.concatenate(([0], breaks))
    stops = np.concatenate((breaks, [sorted_positions.size]))
    return [
        (int(sorted_positions[a]), int(sorted_positions[b - 1]) + 1)
        for a, b in zip(starts, stops, strict=True)
    ]


def _group(places: list[int]) -> list[tuple[int, int, int]]:
    """Group equal consecutive insertion places: (place, start, stop) into the entering list."""
    groups: list[tuple[int, int, int]] = []
    start = 0
    for i in range(1, len(places) + 1):
        if i == len(places) or places[i] != places[start]:
            groups.append((places[start], start, i))
            start = i
    return groups
