"""Reslice panel: the oblique plane (any orientation) and the curved-MPR path."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout,
                               QPushButton, QVBoxLayout)

from twindesk.imaging.mpr import STANDARD_PLANES
from twindesk.ui.actions import ActionSpec
from twindesk.ui.panels.base import Panel


def rotation(axis: np.ndarray, angle_deg: float) -> np.ndarray:
    """Rotation matrix about a unit ``axis`` (Rodrigues), LPS."""
    a = np.asarray(axis, float) / np.linalg.norm(axis)
    t = np.deg2rad(angle_deg)
    k = np.array([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]])
    return np.eye(3) + np.sin(t) * k + (1 - np.cos(t)) * (k @ k)


def tilted_normal(base: str, tilt_lr_deg: float, tilt_ap_deg: float) -> np.ndarray:
    """Normal of a standard plane tilted about the L-R axis, then the A-P axis (LPS)."""
    n = np.asarray(STANDARD_PLANES[base][2], float)
    n = rotation(np.array([1.0, 0, 0]), tilt_lr_deg) @ n
    return rotation(np.array([0, 1.0, 0]), tilt_ap_deg) @ n


class ReslicePanel(Panel):
    panel_id = "reslice"
    title = "Reslice"
    area = "right"

    def __init__(self, window):
        super().__init__(window)
        layout = QVBoxLayout(self)
        obl = QGroupBox("Oblique plane (through the crosshair)")
        form = QFormLayout(obl)
        self.base = QComboBox()
        self.base.setObjectName("oblique_base")
        self.base.addItems(list(STANDARD_PLANES))
        self.tilt_lr = QDoubleSpinBox()
        self.tilt_ap = QDoubleSpinBox()
        for spin, name in ((self.tilt_lr, "tilt_lr"), (self.tilt_ap, "tilt_ap")):
            spin.setObjectName(name)
            spin.setRange(-180, 180)
            spin.setSingleStep(5)
            spin.setSuffix(" °")
            spin.valueChanged.connect(self._apply_oblique)
        self.base.currentIndexChanged.connect(self._apply_oblique)
        form.addRow("Start from", self.base)
        form.addRow("Tilt about L–R", self.tilt_lr)
        form.addRow("Tilt about A–P", self.tilt_ap)
        perp = QPushButton("Perpendicular to the last ruler")
        perp.clicked.connect(self.perpendicular_to_ruler)
        form.addRow(perp)
        layout.addWidget(obl)
        cur = QGroupBox("Curved MPR")
        form2 = QFormLayout(cur)
        self.source = QComboBox()
        self.source.setObjectName("curve_source")
        self.source.activated.connect(self._source_chosen)
        form2.addRow("Path", self.source)
        row = QHBoxLayout()
        draw = QPushButton("Draw path")
        draw.clicked.connect(lambda: window.set_tool("path"))
        clear = QPushButton("Clear")
        clear.clicked.connect(lambda: self.state.set_curve(None))
        row.addWidget(draw)
        row.addWidget(clear)
        form2.addRow(row)
        self.angle = QDoubleSpinBox()
        self.angle.setRange(0, 359)
        self.angle.setWrapping(True)
        self.angle.setSingleStep(10)
        self.angle.setSuffix(" °")
        self.angle.valueChanged.connect(self.state.set_curve_angle)
        form2.addRow("Rotation", self.angle)
        layout.addWidget(cur)
        layout.addStretch(1)
        self.centerlines: dict[str, np.ndarray] = {}
        self.state.reslice_changed.connect(self._sync)

    def action_specs(self) -> list[ActionSpec]:
        return [ActionSpec("reslice.perpendicular", "Oblique ⟂ last ruler",
                           "perpendicular_to_ruler", menu="Tools", shortcut="Ctrl+Shift+O",
                           tip="Tilt the oblique view so its normal follows the last ruler")]

    def _apply_oblique(self) -> None:
        self.state.set_oblique_normal(tilted_normal(self.base.currentText(),
                                                    self.tilt_lr.value(), self.tilt_ap.value()))

    def perpendicular_to_ruler(self) -> None:
        rulers = [m for m in self.state.measurements if m["kind"] == "distance"]
        if not rulers:
            self.window_.show_status("Draw a ruler first (Tools ▸ Ruler)")
            return
        p0, p1 = (np.asarray(p, float) for p in rulers[-1]["points_lps_mm"])
        self.state.set_cursor((p0 + p1) / 2)
        self.state.set_oblique_normal(p1 - p0)

    def set_centerlines(self, centerlines: dict[str, np.ndarray]) -> None:
        self.centerlines = dict(centerlines)
        self._sync()

    def _source_chosen(self, index: int) -> None:
        name = self.source.itemData(index)
        if name in self.centerlines:
            self.state.set_curve(self.centerlines[name], f"centerline:{name}")

    def _sync(self) -> None:
        self.source.blockSignals(True)
        self.source.clear()
        self.source.addItem("(none)", "")
        for name in self.centerlines:
            self.source.addItem(f"centreline {name}", name)
        if self.state.curve_source == "drawn path":
            self.source.addItem("drawn path", "__drawn__")
        current = self.state.curve_source.partition(":")[2] or (
            "__drawn__" if self.state.curve_source == "drawn path" else "")
        idx = self.source.findData(current)
        self.source.setCurrentIndex(max(idx, 0))
        self.source.blockSignals(False)

    def case_opened(self, session) -> None:
        self.base.setCurrentIndex(0)
        self.tilt_lr.setValue(0)
        self.tilt_ap.setValue(0)

    def case_closed(self) -> None:
        self.set_centerlines({})
