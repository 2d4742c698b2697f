"""Measurements panel: the case's distance and angle measurements."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import (QHBoxLayout, QPushButton, QTableWidget, QTableWidgetItem,
                               QVBoxLayout)

from twindesk.ui.actions import ActionSpec
from twindesk.ui.panels.base import Panel


class MeasurementsPanel(Panel):
    panel_id = "measurements"
    title = "Measurements"
    area = "right"

    def __init__(self, window):
        super().__init__(window)
        layout = QVBoxLayout(self)
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("measurement_table")
        self.table.setHorizontalHeaderLabels(["#", "Kind", "Value", "View"])
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.cellDoubleClicked.connect(self._go_to)
        layout.addWidget(self.table)
        row = QHBoxLayout()
        for text, slot in (("Ruler", lambda: window.set_tool("ruler")),
                           ("Angle", lambda: window.set_tool("angle")),
                           ("Delete", self.delete_selected)):
            b = QPushButton(text)
            b.clicked.connect(slot)
            row.addWidget(b)
        layout.addLayout(row)
        self.state.measurements_changed.connect(self._fill)

    def action_specs(self) -> list[ActionSpec]:
        return [ActionSpec("measure.delete", "Delete selected measurement", "delete_selected",
                           menu="Tools", separator_before=True)]

    def _fill(self) -> None:
        records = self.state.measurements
        self.table.setRowCount(len(records))
        for r, m in enumerate(records):
            unit = "mm" if m["unit"] == "mm" else "°"
            for c, text in enumerate((str(m["id"]), m["kind"], f"{m['value']:.1f} {unit}",
                                      m.get("view", ""))):
                self.table.setItem(r, c, QTableWidgetItem(text))

    def _go_to(self, row: int, _col: int) -> None:
        pts = np.asarray(self.state.measurements[row]["points_lps_mm"], float)
        self.state.set_cursor(pts[1] if len(pts) == 3 else pts.mean(axis=0))

    def delete_selected(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        ids = [self.state.measurements[r]["id"] for r in rows]
        if ids:
            self.window_.delete_measurements(ids)
