"""Segmentation panel: automatic or seeded segmentation, paint / erase / threshold brushes,
whole-mask clean-ups, volume.

The logic is the anatomy room's: ``twindesk.imaging.segment.segment_image`` (the job),
``twindesk.imaging.edit`` (brush and clean-up operations) and ``twindesk.imaging.labels.store``
(every change of a mask is one undoable command of the case; Edit ▸ Undo / Redo).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout,
                               QLabel, QPushButton, QVBoxLayout)

from twindesk.errors import TwindeskError
from twindesk.imaging import edit, labels
from twindesk.imaging.grid import Grid, mask_stats
from twindesk.ui.actions import ActionSpec
from twindesk.ui.job_functions import SegmentJobParams, segment_job
from twindesk.ui.panels.base import Panel

DEFAULT_RANGE_HU = (150.0, 1000.0)  # contrast-filled blood, below calcium and metal
BRUSH_TOOLS = {"paint": "paint", "erase": "erase", "threshold": "threshold"}


def segmentation_job_spec(window, structure: str, child: bool = True):
    """(title, job, params, child) of an automatic segmentation, for the benchmark."""
    return (f"Segmenting {structure}", segment_job,
            SegmentJobParams(window.session.case.artifact_path("volume"), structure), child)


class SegmentationPanel(Panel):
    panel_id = "segmentation"
    title = "Segmentation"
    area = "right"

    def __init__(self, window):
        super().__init__(window)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.structure = QComboBox()
        self.structure.setObjectName("seg_structure")
        self.structure.addItems(list(labels.STRUCTURES))
        self.structure.currentTextChanged.connect(lambda _t: self.update_volume())
        form.addRow("Structure", self.structure)
        layout.addLayout(form)
        row = QHBoxLayout()
        self.auto_button = QPushButton("Auto")
        self.auto_button.setObjectName("seg_auto")
        self.auto_button.setToolTip("Segment the structure automatically (a job)")
        self.auto_button.clicked.connect(self.run_auto)
        row.addWidget(self.auto_button)
        for text, tool in (("Seed", "seed"), ("Paint", "paint"), ("Erase", "erase"),
                           ("Threshold", "threshold")):
            b = QPushButton(text)
            b.setObjectName(f"seg_{tool}")
            b.clicked.connect(lambda _=False, t=tool: window.set_tool(t))
            row.addWidget(b)
        layout.addLayout(row)
        box = QGroupBox("Brush")
        f2 = QFormLayout(box)
        self.radius = QDoubleSpinBox()
        self.radius.setObjectName("seg_radius")
        self.radius.setRange(0.5, 50)
        self.radius.setValue(self.state.brush_radius_mm)
        self.radius.setSuffix(" mm")
        self.radius.valueChanged.connect(lambda v: setattr(self.state, "brush_radius_mm", v))
        f2.addRow("Radius", self.radius)
        self.low, self.high = QDoubleSpinBox(), QDoubleSpinBox()
        for spin, value, name in ((self.low, DEFAULT_RANGE_HU[0], "seg_low"),
                                  (self.high, DEFAULT_RANGE_HU[1], "seg_high")):
            spin.setObjectName(name)
            spin.setRange(-1100, 4000)
            spin.setSingleStep(10)
            spin.setSuffix(" HU")
            spin.setValue(value)
        f2.addRow("Threshold from", self.low)
        f2.addRow("to", self.high)
        layout.addWidget(box)
        row2 = QHBoxLayout()
        for text, op in (("Fill holes", "fill_holes"), ("Keep largest", "keep_largest"),
                         ("Smooth", "smooth")):
            b = QPushButton(text)
            b.setObjectName(f"seg_{op}")
            b.clicked.connect(lambda _=False, o=op: self.whole_mask_edit(o))
            row2.addWidget(b)
        layout.addLayout(row2)
        self.volume_label = QLabel("—")
        self.volume_label.setObjectName("seg_volume")
        layout.addWidget(self.volume_label)
        layout.addStretch(1)
        self._stroke: np.ndarray | None = None   # the mask being drawn
        self._before: np.ndarray | None = None   # the mask before the stroke
        self.state.seed_clicked.connect(self._seed)
        self.state.brush_stroke.connect(self._brush)
        self.state.layers_changed.connect(self.update_volume)

    def action_specs(self) -> list[ActionSpec]:
        return [
            ActionSpec("seg.auto", "&Automatic segmentation", "run_auto", "Segmentation",
                       "Ctrl+Shift+A", toolbar=True, separator_before=True,
                       tip="Segment the chosen structure automatically (a job)"),
            ActionSpec("seg.seed", "&Seed tool", "tool_seed", "Segmentation", "S",
                       checkable=True, group="tool", toolbar=True,
                       tip="Click inside the structure to segment it from there"),
            ActionSpec("seg.paint", "&Paint", "tool_paint", "Segmentation", "B",
                       checkable=True, group="tool", toolbar=True),
            ActionSpec("seg.erase", "&Erase", "tool_erase", "Segmentation", "E",
                       checkable=True, group="tool", toolbar=True),
            ActionSpec("seg.threshold", "&Threshold brush", "tool_threshold", "Segmentation",
                       "T", checkable=True, group="tool",
                       tip="Inside the brush the mask becomes the voxels in the HU range"),
            ActionSpec("seg.fill_holes", "&Fill holes", "fill_holes", "Segmentation",
                       separator_before=True),
            ActionSpec("seg.keep_largest", "&Keep largest island", "keep_largest",
                       "Segmentation"),
            ActionSpec("seg.smooth", "S&mooth", "smooth", "Segmentation"),
        ]

    # ---------------------------------------------------------------- tools
    def tool_seed(self, on: bool) -> None:
        if on:
            self.window_.set_tool("seed")

    def tool_paint(self, on: bool) -> None:
        if on:
            self.window_.set_tool("paint")

    def tool_erase(self, on: bool) -> None:
        if on:
            self.window_.set_tool("erase")

    def tool_threshold(self, on: bool) -> None:
        if on:
            self.window_.set_tool("threshold")

    def fill_holes(self) -> None:
        self.whole_mask_edit("fill_holes")

    def keep_largest(self) -> None:
        self.whole_mask_edit("keep_largest")

    def smooth(self) -> None:
        self.whole_mask_edit("smooth")

    @property
    def current(self) -> str:
        return self.structure.currentText()

    def _session(self):
        return self.writable_session()

    def _grid(self) -> Grid:
        return self.state.geometry  # VolumeGeometry is a Grid

    # ------------------------------------------------------------- segment
    def run_auto(self, seed_lps_mm=None) -> None:
        """Segment the current structure as a job (from ``seed_lps_mm`` when given)."""
        try:
            session = self._session()
        except TwindeskError as exc:
            self.window_.errors.report(exc)
            return
        structure = self.current
        seed = None if seed_lps_mm is None else tuple(float(v) for v in seed_lps_mm)
        aorta = self.state.layers.get("aorta")
        params = SegmentJobParams(session.case.artifact_path("volume"), structure, seed,
                                  aorta.mask.astype(bool) if aorta and structure != "aorta"
                                  else None)
        self.window_.jobs.start(f"Segmenting {structure}", segment_job, params,
                                lambda seg: self._segmented(structure, seg), child=True)

    def _segmented(self, structure: str, seg) -> None:
        meta = {**seg.meta, "seed_lps_mm": [round(float(v), 3) for v in seg.seed_lps_mm],
                "seed_source": seg.seed_source, "method": "classical (no trained model)"}
        self.commit(structure, seg.mask, f"segment {structure}", meta)

    def _seed(self, lps) -> None:
        self.run_auto(lps)

    def commit(self, structure: str, mask: np.ndarray, label: str, meta=None) -> None:
        """Store a mask as one undoable edit of the case and show it."""
        session = self._session()
        stats = labels.store(session.case, structure, mask.astype(bool), label, meta)
        self.window_.refresh_from_doc()
        self.window_.doc_changed()
        self.window_.show_status(f"{label}: {stats['volume_ml']:.1f} mL")

    # --------------------------------------------------------------- brush
    def _brush(self, lps, _normal, erase: bool, phase: str) -> None:
        tool = self.state.tool
        try:
            self._session()
            name = self.current
            if phase == "begin" or self._stroke is None:
                layer = self.state.layers.get(name)
                self._stroke = layer.mask.astype(bool) if layer is not None else \
                    np.zeros(self.state.volume.shape, bool)
                self._before = self._stroke.copy() if layer is not None else None
            edit_ = self._edit_at(tool, lps)
            self._stroke = edit.apply_edit(self._stroke, self.state.volume, self._grid(), edit_)
        except TwindeskError as exc:
            self._stroke = None
            if phase == "begin":
                self.window_.errors.report(exc)
            return
        self.state.set_layer(name, self._stroke.astype(np.uint8))  # shown now, stored at the end
        if phase == "end":
            stroke, self._stroke = self._stroke, None
            before, self._before = self._before, None
            if before is not None and np.array_equal(stroke, before):
                return  # the stroke changed nothing: no edit to undo
            self.commit(name, stroke, f"{edit_.operation} {name} brush stroke "
                                      f"r {edit_.radius_mm:g} mm")

    def _edit_at(self, tool: str, lps) -> edit.Edit:
        center = tuple(float(v) for v in lps)
        r = float(self.state.brush_radius_mm)
        if tool == "threshold":
            return edit.Edit("threshold", center, r, low_hu=self.low.value(),
                             high_hu=self.high.value())
        return edit.Edit("erase" if tool == "erase" else "paint", center, r)

    def whole_mask_edit(self, operation: str) -> None:
        """Fill holes / keep the largest island / smooth the current structure's mask."""
        try:
            self._session()
            layer = self.state.layers.get(self.current)
            if layer is None:
                raise TwindeskError(f"'{self.current}' has no mask yet",
                                    "segment it (Auto or Seed) or paint it first")
            e = edit.Edit(operation)
            old = layer.mask.astype(bool)
            new = edit.apply_edit(old, None, self._grid(), e)
            if np.array_equal(new, old):
                self.window_.show_status(f"{e.label(self.current)}: nothing to change")
                return
            self.commit(self.current, new, e.label(self.current))
        except TwindeskError as exc:
            self.window_.errors.report(exc)

    # --------------------------------------------------------------- volume
    def volume_text(self, structure: str) -> str:
        layer = self.state.layers.get(structure)
        if layer is None or self.state.geometry is None:
            return f"{structure}: no mask"
        stats = mask_stats(layer.mask, self._grid())
        return f"{structure}: {stats['volume_ml']:.1f} mL ({stats['voxels']} voxels)"

    def update_volume(self) -> None:
        self.volume_label.setText(self.volume_text(self.current))
