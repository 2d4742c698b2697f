"""Segmentation panel: automatic segmentation, seed click, paint/erase brush, threshold, volume.

Every edit is an undoable command of the case (``twindesk.model.commands``, Edit ▸ Undo /
Redo); the logic is Qt-free: ``twindesk.imaging.aorta`` (automatic aorta, optionally from a
seed), ``twindesk.imaging.mask_edit`` (brush, threshold, seeded region growing, volume,
storing a mask).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout,
                               QLabel, QPushButton, QVBoxLayout)

from twindesk.errors import TwindeskError
from twindesk.imaging import mask_edit
from twindesk.ui.actions import ActionSpec
from twindesk.ui.panels.base import Panel

STRUCTURES = ("aorta", "lv", "la", "bloodpool")
#: Structures with an automatic method (the others: seed + threshold range, brush).
AUTO = {"aorta"}
DEFAULT_RANGE_HU = (150.0, 1000.0)  # contrast-filled blood, below calcium and metal


@dataclass(frozen=True)
class AutoParams:
    """Input of :func:`auto_segment_job` (the case image is read by the job)."""

    image: object  # SimpleITK image of the case volume
    structure: str
    seed_lps_mm: tuple[float, float, float] | None = None


@dataclass
class AutoResult:
    structure: str
    mask: np.ndarray
    centerline_lps_mm: np.ndarray | None
    label: str


def auto_segment_job(params: AutoParams, progress, cancel) -> AutoResult:
    """Run the automatic segmentation of ``params.structure`` (a job)."""
    from twindesk.imaging.aorta import AortaParams, native_mask, segment_aorta

    if params.structure != "aorta":
        raise TwindeskError(f"no automatic method for '{params.structure}'",
                            "click a seed with a threshold range, or paint it")
    model = segment_aorta(params.image, AortaParams(seed_lps_mm=params.seed_lps_mm),
                          progress, cancel)
    mask = native_mask(model, params.image).astype(np.uint8)
    how = "seeded" if params.seed_lps_mm is not None else "auto"
    return AutoResult("aorta", mask, np.asarray(model.centerline_lps_mm), f"{how} aorta")


def segmentation_job_spec(window, structure: str):
    """(title, job, params, child) of the automatic segmentation, for the benchmark."""
    return (f"Segmenting {structure}", auto_segment_job,
            AutoParams(window.session.case.image(), structure), False)


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
        self.structure.setEditable(True)
        self.structure.addItems(list(STRUCTURES))
        self.structure.currentTextChanged.connect(self._structure_changed)
        form.addRow("Structure", self.structure)
        layout.addLayout(form)
        row = QHBoxLayout()
        self.auto_button = QPushButton("Auto")
        self.auto_button.setObjectName("seg_auto")
        self.auto_button.clicked.connect(self.run_auto)
        row.addWidget(self.auto_button)
        for text, tool in (("Seed", "seed"), ("Paint", "paint"), ("Erase", "erase")):
            b = QPushButton(text)
            b.setObjectName(f"seg_{tool}")
            b.clicked.connect(lambda _=False, t=tool: window.set_tool(t))
            row.addWidget(b)
        layout.addLayout(row)
        box = QGroupBox("Brush and threshold")
        f2 = QFormLayout(box)
        self.radius = QDoubleSpinBox()
        self.radius.setObjectName("seg_radius")
        self.radius.setRange(0.5, 50)
        self.radius.setValue(self.state.brush_radius_mm)
        self.radius.setSuffix(" mm")
        self.radius.valueChanged.connect(lambda v: setattr(self.state, "brush_radius_mm", v))
        f2.addRow("Brush radius", self.radius)
        self.low, self.high = QDoubleSpinBox(), QDoubleSpinBox()
        for spin, value, name in ((self.low, DEFAULT_RANGE_HU[0], "seg_low"),
                                  (self.high, DEFAULT_RANGE_HU[1], "seg_high")):
            spin.setObjectName(name)
            spin.setRange(-1100, 4000)
            spin.setSingleStep(10)
            spin.setSuffix(" HU")
            spin.setValue(value)
        f2.addRow("From", self.low)
        f2.addRow("To", self.high)
        apply = QPushButton("Keep only voxels in range")
        apply.setObjectName("seg_threshold")
        apply.clicked.connect(self.apply_threshold)
        f2.addRow(apply)
        layout.addWidget(box)
        self.volume_label = QLabel("—")
        self.volume_label.setObjectName("seg_volume")
        layout.addWidget(self.volume_label)
        layout.addStretch(1)
        self._stroke: np.ndarray | None = None
        self.state.seed_clicked.connect(self._seed)
        self.state.brush_stroke.connect(self._brush)
        self.state.layers_changed.connect(self.update_volume)

    def action_specs(self) -> list[ActionSpec]:
        return [
            ActionSpec("seg.auto", "&Automatic segmentation", "run_auto", "Segmentation",
                       "Ctrl+Shift+A", toolbar=True, separator_before=True,
                       tip="Segment the chosen structure automatically (a job)"),
            ActionSpec("seg.seed", "&Seed tool", "tool_seed", "Segmentation", "S",
                       checkable=True, group="tool", toolbar=True),
            ActionSpec("seg.paint", "&Paint", "tool_paint", "Segmentation", "B",
                       checkable=True, group="tool", toolbar=True),
            ActionSpec("seg.erase", "&Erase", "tool_erase", "Segmentation", "E",
                       checkable=True, group="tool", toolbar=True),
            ActionSpec("seg.threshold", "Keep only voxels in &range", "apply_threshold",
                       "Segmentation"),
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

    @property
    def current(self) -> str:
        return self.structure.currentText().strip() or "edit"

    def _structure_changed(self, _text: str) -> None:
        self.auto_button.setEnabled(self.current in AUTO)
        self.update_volume()

    def _session(self):
        session = self.window_.session
        if session is None or not self.state.has_volume:
            raise TwindeskError("no case is open", "open or import a case first")
        if not session.writable:
            raise TwindeskError(f"{session.path.name} is {session.case.readonly_reason}",
                                "close it elsewhere and reopen it to edit")
        return session

    # ------------------------------------------------------------- commands
    def run_auto(self, seed_lps_mm=None) -> None:
        try:
            session = self._session()
        except TwindeskError as exc:
            self.window_.errors.report(exc)
            return
        structure = self.current
        seed = None if seed_lps_mm is None else tuple(float(v) for v in seed_lps_mm)
        self.window_.jobs.start(f"Segmenting {structure}", auto_segment_job,
                                AutoParams(session.case.image(), structure, seed),
                                self._auto_done)

    def _auto_done(self, result: AutoResult) -> None:
        self.commit(result.structure, result.mask, result.label)
        if result.centerline_lps_mm is not None and len(result.centerline_lps_mm) >= 2:
            self.state.set_curve(result.centerline_lps_mm, f"centerline:{result.structure}")

    def commit(self, structure: str, mask: np.ndarray, label: str) -> None:
        """Store a mask as one undoable edit and show it."""
        session = self._session()
        mask_edit.commit_mask(session.case, structure, mask, label)
        self.window_.refresh_from_doc()
        self.window_.doc_changed()
        self.window_.show_status(f"{label}: {self.volume_text(structure)}")

    def _seed(self, lps) -> None:
        try:
            self._session()
            if self.current in AUTO:
                self.run_auto(lps)
                return
            mask = mask_edit.grow_from_seed(self.state.volume, self.state.geometry, lps,
                                            self.low.value(), self.high.value())
            self.commit(self.current, mask, f"seed {self.current} "
                        f"[{self.low.value():.0f}, {self.high.value():.0f}] HU")
        except TwindeskError as exc:
            self.window_.errors.report(exc)

    def _brush(self, lps, normal, erase: bool, phase: str) -> None:
        try:
            self._session()
        except TwindeskError as exc:
            if phase == "begin":
                self.window_.errors.report(exc)
            return
        name = self.current
        if phase == "begin" or self._stroke is None:
            layer = self.state.layers.get(name)
            self._stroke = layer.mask.copy() if layer is not None else \
                np.zeros(self.state.volume.shape, np.uint8)
        mask_edit.brush(self._stroke, self.state.geometry, lps, self.state.brush_radius_mm,
                        0 if erase else 1, normal)
        self.state.set_layer(name, self._stroke)  # shown at once; stored at the stroke's end
        if phase == "end":
            stroke, self._stroke = self._stroke, None
            verb = "erase" if erase else "paint"
            self.commit(name, stroke, f"{verb} {name} r={self.state.brush_radius_mm:g} mm")

    def apply_threshold(self) -> None:
        try:
            self._session()
            layer = self.state.layers.get(self.current)
            if layer is None:
                raise TwindeskError(f"'{self.current}' has no mask yet",
                                    "segment it (Auto or Seed) or paint it first")
            mask = mask_edit.threshold(self.state.volume, self.low.value(), self.high.value(),
                                       within=layer.mask)
            self.commit(self.current, mask, f"threshold {self.current} "
                        f"[{self.low.value():.0f}, {self.high.value():.0f}] HU")
        except TwindeskError as exc:
            self.window_.errors.report(exc)

    # --------------------------------------------------------------- volume
    def volume_text(self, structure: str) -> str:
        layer = self.state.layers.get(structure)
        if layer is None or self.state.geometry is None:
            return f"{structure}: no mask"
        ml = mask_edit.mask_volume_ml(layer.mask, self.state.geometry)
        return f"{structure}: {ml:.1f} mL ({int(np.count_nonzero(layer.mask))} voxels)"

    def update_volume(self) -> None:
        self.volume_label.setText(self.volume_text(self.current))
