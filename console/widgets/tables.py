"""Helpers shared by the table views: the flat-table model boilerplate, a list table, a row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from console.theme import Theme
from console.widgets.painted_table import PaintedTableView

Index = QModelIndex | QPersistentModelIndex


class FlatTableModel(QAbstractTableModel):
    """rowCount, columnCount and headerData of a table without children.

    Subclasses say how many rows there are (`row_total`); the columns are
    `headers`, or whatever `column_total` and `header_title` say when they
    change at run time.
    """

    headers: Sequence[str] = ()

    def row_total(self) -> int:
        raise NotImplementedError

    def column_total(self) -> int:
        return len(self.headers)

    def header_title(self, section: int) -> str:
        return self.headers[section]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else self.row_total()

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else self.column_total()

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < self.column_total()
        ):
            return self.header_title(section)
        return None


def show_row(table: QTableView, row: int) -> None:
    """Make `row` the current, only selected row of `table` and scroll it into view."""
    index = table.model().index(row, 0)
    table.selectionModel().setCurrentIndex(
        index,
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )
    table.scrollTo(index)


def list_table(
    model: QAbstractTableModel,
    parent: QWidget,
    name: str = "",
    *,
    single: bool = False,
    theme: Theme | None = None,
) -> QTableView:
    """A read-only list of rows: whole-row selection, one line a row, no row header.

    With a `theme`, the model must offer `cell_looks` and the rows are painted
    from one model call per paint (`PaintedTableView`: for lists that change
    with every engine flush).
    """
    table = QTableView(parent) if theme is None else PaintedTableView(theme, parent)
    if name:
        table.setObjectName(name)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    if single:
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setWordWrap(False)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    table.horizontalHeader().setStretchLastSection(True)
    return table
