"""Rejected records and unmapped alerts: what the engine could not place, exportable as CSV.

Nothing is dropped silently (DESIGN.md 2): a line that failed to decode shows
up here with where it came from and why; a firing alert whose labels name no
topology component shows up with its labels, so the operator can fix the
mapping or the topology.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.bridge import EngineBridge
from console.selection import Selection
from console.theme import SEVERITY_GLYPHS, Theme
from console.views.alert_store import short_time
from console.views.keyed_model import KeyedTableModel
from console.widgets.plain import plain_label, set_plain
from console.widgets.tables import FlatTableModel, Index, list_table
from core.engine import Engine
from core.export import export_csv
from core.model import Rejected, format_time
from core.textsafe import safe_text

RAW_EXCERPT = 200

REJECTED_HEADER = ("where", "reason", "raw")
UNMAPPED_HEADER = ("fingerprint", "severity", "alertname", "starts", "labels")


def rejected_rows(records: Sequence[Rejected]) -> list[tuple[str, ...]]:
    """Header plus one row per rejected record (full raw text, for the CSV)."""
    return [REJECTED_HEADER, *((r.where, r.reason, r.raw) for r in records)]


def unmapped_rows(engine: Engine, fingerprints: Sequence[str]) -> list[tuple[str, ...]]:
    """Header plus one row per unmapped alert."""
    rows: list[tuple[str, ...]] = [UNMAPPED_HEADER]
    for fp in fingerprints:
        alert = engine.alerts.get(fp)
        if alert is not None:
            rows.append(
                (
                    fp,
                    alert.severity.label,
                    alert.alertname,
                    format_time(alert.starts_at),
                    labels_text(alert.labels),
                )
            )
    return rows


def labels_text(labels: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))


class RejectedModel(FlatTableModel):
    """Rejected records in arrival order; grows by appends, resets with the engine."""

    headers = ("Where", "Reason", "Raw (excerpt)")

    def __init__(self, records: Sequence[Rejected] = ()) -> None:
        super().__init__()
        self.records: list[Rejected] = list(records)

    def row_total(self) -> int:
        return len(self.records)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.records):
            return None
        record = self.records[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            text = (record.where, record.reason, record.raw)[index.column()]
            if index.column() == 2 and role == Qt.ItemDataRole.DisplayRole:
                text = text[:RAW_EXCERPT] + ("…" if len(text) > RAW_EXCERPT else "")
            return safe_text(text)
        return None

    def append(self, records: Sequence[Rejected]) -> None:
        if records:
            start = len(self.records)
            self.beginInsertRows(QModelIndex(), start, start + len(records) - 1)
            self.records.extend(records)
            self.endInsertRows()

    def replace(self, records: Sequence[Rejected]) -> None:
        self.beginResetModel()
        self.records = list(records)
        self.endResetModel()


class UnmappedModel(KeyedTableModel):
    """Firing alerts whose labels name no component, by fingerprint."""

    headers = ("Severity", "Alert", "Starts", "Labels", "Fingerprint")

    def __init__(self, engine: Engine, theme: Theme) -> None:
        super().__init__()
        self.engine = engine
        self.theme = theme
        self.keys = list(engine.unmapped_firing)
        self._reindex()

    def cell(self, key: str, column: int, role: int) -> Any:
        alert = self.engine.alerts.get(key)
        if alert is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return f"{SEVERITY_GLYPHS[alert.severity]} {alert.severity.label}"
            text = (alert.alertname, short_time(alert.starts_at), labels_text(alert.labels), key)
            return safe_text(text[column - 1])
        if role == Qt.ItemDataRole.ToolTipRole and column == 3:
            return safe_text(
                "\n".join(f"{k}={v}" for k, v in sorted(alert.labels.items())), keep_newlines=True
            )
        if role == Qt.ItemDataRole.ForegroundRole and column == 0:
            return self.theme.severity_text_color(alert.severity)
        if role == Qt.ItemDataRole.BackgroundRole and column == 0:
            return self.theme.severity_color(alert.severity)
        return None

    def update(self, engine: Engine, changed: Sequence[str] = ()) -> None:
        if engine is not self.engine:
            self.engine = engine
            self.replace(engine.unmapped_firing)
        else:
            self.sync(engine.unmapped_firing, changed)


class _RecordsView(QWidget):
    """A table with a count and an Export CSV button."""

    def __init__(self, model: QAbstractTableModel, what: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self._what = what
        self.table = list_table(model, self)
        self.count_label = plain_label("", self)
        self.export_button = QPushButton("Export CSV…", self)
        self.export_button.clicked.connect(self._export_clicked)
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.count_label, 1)
        bar.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.table)
        model.rowsInserted.connect(self._recount)
        model.rowsRemoved.connect(self._recount)
        model.modelReset.connect(self._recount)
        self._recount()

    def rows(self) -> list[tuple[str, ...]]:
        raise NotImplementedError

    def export(self, path: str | Path) -> int:
        """Write the records to `path` as CSV; returns the data rows written."""
        return export_csv(path, self.rows()) - 1

    def _export_clicked(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self, f"Export {self._what}", f"{self._what.replace(' ', '-')}.csv", "CSV (*.csv)"
        )
        if path:
            self.export(path)

    def _recount(self, *_args: object) -> None:
        count = self.table.model().rowCount()
        set_plain(self.count_label, f"{count:,} {self._what}")


class RejectedView(_RecordsView):
    """Records the decoder rejected: where, why, and the start of the raw text."""

    def __init__(
        self,
        bridge: EngineBridge,
        theme: Theme,
        selection: Selection,
        parent: QWidget | None = None,
    ) -> None:
        self.model = RejectedModel(bridge.engine.rejected)
        super().__init__(self.model, "rejected records", parent)
        self.setObjectName("RejectedView")
        self.bridge, self.theme, self.selection = bridge, theme, selection
        header = self.table.horizontalHeader()
        em = self.table.fontMetrics().horizontalAdvance("M")
        header.resizeSection(0, 14 * em)
        header.resizeSection(1, 28 * em)
        bridge.sig_rejected.connect(self.model.append)
        bridge.sig_engine_reset.connect(self._engine_reset)

    def rows(self) -> list[tuple[str, ...]]:
        return rejected_rows(self.model.records)

    def _engine_reset(self, engine: Engine) -> None:
        self.model.replace(engine.rejected)


class UnmappedView(_RecordsView):
    """Firing alerts that map to no topology component, with their labels."""

    def __init__(
        self,
        bridge: EngineBridge,
        theme: Theme,
        selection: Selection,
        parent: QWidget | None = None,
    ) -> None:
        self.model = UnmappedModel(bridge.engine, theme)
        super().__init__(self.model, "unmapped alerts", parent)
        self.setObjectName("UnmappedView")
        self.bridge, self.theme, self.selection = bridge, theme, selection
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        em = self.table.fontMetrics().horizontalAdvance("M")
        for column, width in enumerate((9, 16, 9, 40)):
            self.table.horizontalHeader().resizeSection(column, width * em)
        bridge.sig_alerts_changed.connect(self._alerts_changed)
        bridge.sig_engine_reset.connect(lambda engine: self.model.update(engine))
        theme.sig_changed.connect(self.model.refresh)
        self.table.selectionModel().currentRowChanged.connect(self._row_selected)

    def rows(self) -> list[tuple[str, ...]]:
        return unmapped_rows(self.bridge.engine, self.model.keys)

    def _alerts_changed(self, added: list[str], updated: list[str], resolved: list[str]) -> None:
        self.model.update(self.bridge.engine, [*updated, *resolved])

    def _row_selected(self, current: QModelIndex, _previous: QModelIndex) -> None:
        key = self.model.key_at(current.row()) if current.isValid() else None
        if key is not None:
            self.selection.set_component(None)
            self.selection.set_alert(key)
