"""A table model over an ordered list of keys (domain ids, fingerprints), synced in place.

`sync(new_keys, changed)` turns "the list is now this" into the smallest
honest set of model signals: rows whose key left are removed, new keys are
inserted, a reordering of the rest is one layout change that carries
persistent indexes (so a view's selection stays on the same key), and
changed keys get dataChanged. Subclasses say how a key renders.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, Qt

from console.widgets.tables import FlatTableModel, Index


class KeyedTableModel(FlatTableModel):
    """Rows are keys; `headers` name the columns; subclasses implement `cell`."""

    headers: tuple[str, ...] = ()
    KEY_ROLE = Qt.ItemDataRole.UserRole + 1

    def __init__(self) -> None:
        super().__init__()
        self.keys: list[str] = []
        self._row: dict[str, int] = {}

    # -- Qt model API -----------------------------------------------------------

    def row_total(self) -> int:
        return len(self.keys)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.keys):
            return None
        key = self.keys[index.row()]
        if role == self.KEY_ROLE:
            return key
        return self.cell(key, index.column(), role)

    def cell(self, key: str, column: int, role: int) -> Any:
        raise NotImplementedError

    # -- keys -------------------------------------------------------------------

    def row_of(self, key: str | None) -> int | None:
        return None if key is None else self._row.get(key)

    def key_at(self, row: int) -> str | None:
        return self.keys[row] if 0 <= row < len(self.keys) else None

    def replace(self, keys: Sequence[str]) -> None:
        """Start over with these keys (engine reset)."""
        self.beginResetModel()
        self.keys = list(keys)
        self._reindex()
        self.endResetModel()

    def sync(self, new_keys: Sequence[str], changed: Iterable[str] = ()) -> None:
        """Make the rows equal `new_keys`, in that order, with minimal signals."""
        wanted = dict.fromkeys(new_keys)
        for row in range(len(self.keys) - 1, -1, -1):
            if self.keys[row] not in wanted:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self.keys[row]
                self.endRemoveRows()
        self._reindex()
        present = set(self.keys)
        entering = [k for k in wanted if k not in present]
        if entering:
            # Append, then one layout change puts everything in the wanted order.
            start = len(self.keys)
            self.beginInsertRows(QModelIndex(), start, start + len(entering) - 1)
            self.keys.extend(entering)
            self._reindex()
            self.endInsertRows()
        target = list(wanted)
        if self.keys != target:
            self.layoutAboutToBeChanged.emit()
            before = self.persistentIndexList()
            old = self.keys
            self.keys = target
            self._reindex()
            after = [
                self.index(self._row[old[i.row()]], i.column()) if i.row() < len(old) else i
                for i in before
            ]
            self.changePersistentIndexList(before, after)
            self.layoutChanged.emit()
        rows = sorted(self._row[k] for k in set(changed) if k in self._row)
        if rows:
            self.dataChanged.emit(
                self.index(rows[0], 0), self.index(rows[-1], max(0, len(self.headers) - 1))
            )

    def refresh(self) -> None:
        """Every cell may have changed (theme, clock)."""
        if self.keys:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self.keys) - 1, max(0, len(self.headers) - 1))
            )

    def _reindex(self) -> None:
        self._row = {k: i for i, k in enumerate(self.keys)}
