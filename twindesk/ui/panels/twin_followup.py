"""Twin panel ▸ Follow-up: import a follow-up CT (``twindesk.twin.followup``, a job on a lent
case), list the follow-ups with their growth and registration residuals, and fuse the
follow-up resampled onto the baseline grid (stored rigid transform) over the MPR views."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox,
                               QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
                               QPushButton, QSlider, QVBoxLayout, QWidget)

from twindesk.errors import InputError
from twindesk.ui.case_jobs import require_saved, start_case_job
from twindesk.ui.tables import fill_table, make_table, selected_rows


def followup_job(case, params, progress, cancel):
    from twindesk.twin.followup import follow_up

    return follow_up(case, params, progress, cancel)


@dataclass(frozen=True)
class OverlayParams:
    case_path: Path
    followup_id: str


def overlay_job(params: OverlayParams, progress, cancel):
    """The follow-up on the baseline grid, read from the committed case (read-only)."""
    from twindesk.model.case import Case
    from twindesk.twin.overlay import followup_on_baseline

    progress(0.1, "resampling")
    with Case.open(params.case_path, write=False) as case:
        return followup_on_baseline(case, params.followup_id)


class FollowUpDialog(QDialog):
    """Source study, dates and segmentation of a follow-up import."""

    def __init__(self, parent, baseline_date: str | None):
        super().__init__(parent)
        self.setObjectName("followup_dialog")
        self.setWindowTitle("Import follow-up CT")
        form = QFormLayout(self)
        row = QHBoxLayout()
        self.src = QLineEdit()
        self.src.setObjectName("followup_src")
        self.src.setPlaceholderText("DICOM folder or volume file (.nii.gz, .mha, .nrrd)")
        folder, file = QPushButton("Folder…"), QPushButton("File…")
        folder.clicked.connect(self._pick_folder)
        file.clicked.connect(self._pick_file)
        for w in (self.src, folder, file):
            row.addWidget(w)
        form.addRow("Follow-up study", row)
        self.study_date = QLineEdit()
        self.study_date.setObjectName("followup_date")
        self.study_date.setPlaceholderText("YYYY-MM-DD (DICOM studies carry their own)")
        form.addRow("Follow-up date", self.study_date)
        self.baseline_date = QLineEdit(baseline_date or "")
        self.baseline_date.setObjectName("followup_baseline_date")
        self.baseline_date.setPlaceholderText("YYYY-MM-DD when the case has none")
        form.addRow("Baseline date", self.baseline_date)
        self.segmenter = QComboBox()
        self.segmenter.setObjectName("followup_segmenter")
        self.segmenter.addItem("anatomy (aorta segmentation)", "anatomy")
        self.segmenter.addItem("contrast threshold (research volumes)", "threshold")
        form.addRow("Aorta", self.segmenter)
        self.low, self.high = QDoubleSpinBox(), QDoubleSpinBox()
        for spin, value in ((self.low, 200.0), (self.high, 700.0)):
            spin.setRange(-1000, 3000)
            spin.setSuffix(" HU")
            spin.setValue(value)
        hu = QHBoxLayout()
        hu.addWidget(self.low)
        hu.addWidget(QLabel("to"))
        hu.addWidget(self.high)
        form.addRow("Lumen (threshold)", hu)
        note = QLabel("Growth is measured on each study's own grid; the rigid registration "
                      "only aligns views and landmarks.")
        note.setWordWrap(True)
        form.addRow(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = buttons.addButton("Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setObjectName("followup_import")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _pick_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Follow-up DICOM folder", str(Path.home()))
        if chosen:
            self.src.setText(chosen)

    def _pick_file(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(self, "Follow-up volume", str(Path.home()),
                                                "Volumes (*.nii *.nii.gz *.mha *.mhd *.nrrd)")
        if chosen:
            self.src.setText(chosen)

    def params(self, case_path: Path):
        from twindesk.twin.followup import FollowUpParams

        src = self.src.text().strip()
        if not src:
            raise InputError("no follow-up study chosen", "pick its DICOM folder or volume file")
        return FollowUpParams(case_path, Path(src), self.study_date.text().strip() or None,
                              self.baseline_date.text().strip() or None,
                              self.segmenter.currentData(), self.low.value(), self.high.value())


class FollowUpTab(QWidget):
    """Follow-ups of the twin and the fused overlay."""

    def __init__(self, panel):
        super().__init__()
        self.panel = panel
        self.window_ = panel.window_
        self.dialog: FollowUpDialog | None = None
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        imp = QPushButton("Import follow-up CT…")
        imp.setObjectName("twin_followup_import")
        imp.clicked.connect(self.import_dialog)
        self.overlay = QCheckBox("Show selected follow-up on the baseline (fused)")
        self.overlay.setObjectName("twin_overlay")
        self.overlay.toggled.connect(self._overlay_toggled)
        self.blend = QSlider(Qt.Orientation.Horizontal)
        self.blend.setObjectName("twin_overlay_blend")
        self.blend.setRange(0, 100)
        self.blend.setValue(int(100 * self.window_.state.fusion_blend))
        self.blend.setFixedWidth(140)
        self.blend.valueChanged.connect(lambda v: self.window_.state.set_fusion_blend(v / 100))
        for w in (imp, self.overlay, QLabel("Blend"), self.blend):
            row.addWidget(w)
        row.addStretch(1)
        layout.addLayout(row)
        self.table = make_table(("Follow-up", "Study date", "Years", "Baseline Ø", "Follow-up Ø",
                                 "Change", "Rate", "Registration", "Notes"), "twin_followups")
        self.table.itemSelectionChanged.connect(self._selection_changed)
        layout.addWidget(self.table)
        self.records: list[dict] = []

    def refresh(self) -> None:
        from twindesk.twin.overlay import followups

        doc = self.panel.doc()
        self.records = followups(doc) if doc else []
        rows = []
        for f in self.records:
            g, r = f["growth"], f["registration"]
            msd = r.get("mean_surface_distance_mm")
            reg = f"landmark residual {r['landmark_offaxis_mm']:.1f} mm" + \
                (f", surface distance {msd:.1f} mm" if msd is not None else "")
            rows.append((f["id"], f["study_time_utc"][:10], f"{g['interval_years']:.2f}",
                         f"{g['baseline_diameter_mm']:.1f} mm",
                         f"{g['followup_diameter_mm']:.1f} mm", f"{g['change_mm']:+.1f} mm",
                         f"{g['rate_mm_per_year']:+.1f} mm/year", reg,
                         "; ".join(g["flags"] + f["warnings"]) or "-"))
        fill_table(self.table, rows)
        if self.records and not selected_rows(self.table):
            self.table.selectRow(len(self.records) - 1)
        if not self.records:
            self.overlay.setChecked(False)

    def selected_id(self) -> str | None:
        rows = selected_rows(self.table)
        return self.records[rows[0]]["id"] if rows else None

    # ---------------------------------------------------------------- import
    def import_dialog(self, src: Path | None = None) -> FollowUpDialog | None:
        """Show the import dialog (non-blocking); Import starts the job."""
        if not require_saved(self.window_, "Importing a follow-up"):
            return None
        doc = self.panel.doc()
        self.dialog = FollowUpDialog(self.window_, (doc.get("study") or {}).get("date"))
        if src is not None:
            self.dialog.src.setText(str(src))
        self.dialog.accepted.connect(self._start_import)
        self.dialog.finished.connect(lambda _r: self._forget_dialog())
        self.dialog.open()
        return self.dialog

    def _forget_dialog(self) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
            self.dialog = None

    def _start_import(self) -> None:
        session = self.window_.session
        try:
            params = self.dialog.params(session.path)
        except InputError as exc:
            self.window_.errors.report(exc)
            return
        start_case_job(self.window_, "Importing the follow-up CT", followup_job, params,
                       self._imported)

    def _imported(self, result: dict) -> None:
        f = result["followup"]
        self.window_.show_status(f"Follow-up {f['id']}: {f['summary']}; version "
                                 f"{result['version']['id']}", 15000)
        self.table.selectRow(len(self.records) - 1)

    # --------------------------------------------------------------- overlay
    def _selection_changed(self) -> None:
        if self.overlay.isChecked():
            self._show_overlay()

    def _overlay_toggled(self, on: bool) -> None:
        if on:
            self._show_overlay()
        else:
            self.window_.state.set_fusion(None)

    def _show_overlay(self) -> None:
        fid = self.selected_id()
        session = self.window_.session
        if fid is None or session is None:
            self.overlay.setChecked(False)
            return
        if self.window_.state.fusion_name == fid:
            return
        self.window_.jobs.start(f"Resampling {fid} onto the baseline", overlay_job,
                                OverlayParams(session.path, fid),
                                lambda vol, f=fid: self._overlay_ready(f, vol),
                                on_ended=lambda: self.overlay.setChecked(
                                    self.window_.state.fusion_volume is not None))

    def _overlay_ready(self, fid: str, volume) -> None:
        if self.overlay.isChecked() and self.window_.state.has_volume:
            self.window_.state.set_fusion(volume, fid)
            self.window_.show_status(f"{fid} fused over the baseline: magenta = follow-up, "
                                     "green = baseline, grey where they agree")
