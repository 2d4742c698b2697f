"""Read-only tables for panels and dialogs: one way to build and fill them."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem


def make_table(headers: Sequence[str], name: str, *, multi: bool = False,
               stretch_last: bool = True) -> QTableWidget:
    """A row-selecting, non-editable table with ``headers``; ``name`` is its object name."""
    table = QTableWidget(0, len(headers))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(list(headers))
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection if multi
                           else QAbstractItemView.SelectionMode.SingleSelection)
    table.setWordWrap(False)
    table.horizontalHeader().setStretchLastSection(stretch_last)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    return table


def fill_table(table: QTableWidget, rows: Sequence[Sequence[object]],
               muted: Sequence[bool] | None = None) -> None:
    """Replace the rows (cells shown with ``str``; the full text is the tooltip).

    ``muted[r]`` greys out row ``r`` (e.g. rows kept for the record only).
    """
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            text = "" if value is None else str(value)
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            if muted is not None and muted[r]:
                item.setForeground(QColor(130, 130, 130))
            table.setItem(r, c, item)
    table.resizeColumnsToContents()


def selected_rows(table: QTableWidget) -> list[int]:
    return sorted({i.row() for i in table.selectedIndexes()})
