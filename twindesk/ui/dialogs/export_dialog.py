"""File ▸ Export…: every kind of :data:`twindesk.report.exports.EXPORTERS` with its options
(bundle: de-identify, encrypt with a password; seg: which structures; mesh, surface,
centerline: which structure), run as a job through :func:`twindesk.report.exports.run` — the
same function ``twindesk export`` uses, so the audit entry is the same."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog,
                               QFormLayout, QHBoxLayout, QLabel, QLineEdit, QListWidget,
                               QListWidgetItem, QPushButton, QStackedWidget, QVBoxLayout,
                               QWidget)

from twindesk.errors import InputError
from twindesk.ui.case_jobs import require_saved

#: kind → (what the user reads, default file suffix, file-dialog filter)
KINDS = {
    "bundle": ("Case bundle (to move the case; optionally de-identified and encrypted)",
               ".twinbundle", "Case bundle (*.twinbundle)"),
    "seg": ("DICOM SEG of the segmentations (references the source series)", ".dcm",
            "DICOM (*.dcm)"),
    "measurements": ("Measurements table (CSV)", ".csv", "CSV (*.csv)"),
    "mesh": ("Volume mesh (VTU) or its boundary for printing (STL, VTP, OBJ, PLY)", ".stl",
             "Mesh (*.stl *.vtu *.vtp *.obj *.ply)"),
    "volume": ("CT volume (NIfTI, MHA, NRRD)", ".nii.gz",
               "Volume (*.nii.gz *.nii *.mha *.nrrd)"),
    "surface": ("Surface (STL, VTP, OBJ, PLY)", ".stl", "Surface (*.stl *.vtp *.obj *.ply)"),
    "centerline": ("Centreline (CSV or JSON)", ".csv", "Centreline (*.csv *.json)"),
}


def _describe(kind: str) -> tuple[str, str, str]:
    return KINDS.get(kind, (kind, "", "All files (*)"))


class ExportDialog(QDialog):
    def __init__(self, window):
        from twindesk.report.exports import EXPORTERS, NAMED_PREFIX, available_names

        super().__init__(window)
        self.window_ = window
        self.doc = window.session.case.doc
        self.case_path = window.session.path
        self.setObjectName("export_dialog")
        self.setWindowTitle(f"Export — {self.case_path.name}")
        self.resize(640, 420)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.kind = QComboBox()
        self.kind.setObjectName("export_kind")
        order = [k for k in KINDS if k in EXPORTERS] + sorted(set(EXPORTERS) - set(KINDS))
        for k in order:
            self.kind.addItem(k, k)
            self.kind.setItemData(self.kind.count() - 1, _describe(k)[0],
                                  Qt.ItemDataRole.ToolTipRole)
        form.addRow("What", self.kind)
        self.about = QLabel()
        self.about.setWordWrap(True)
        form.addRow("", self.about)
        layout.addLayout(form)
        self.pages = QStackedWidget()
        self.page_of: dict[str, int] = {}
        self.names: dict[str, QWidget] = {}
        for k in order:
            page = QWidget()
            pf = QFormLayout(page)
            if k == "bundle":
                self._bundle_options(pf)
            elif k == "seg":
                self.structures = QListWidget()
                self.structures.setObjectName("export_structures")
                for name in available_names(self.doc, "seg"):
                    item = QListWidgetItem(name)
                    item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                    item.setCheckState(Qt.CheckState.Checked)
                    self.structures.addItem(item)
                pf.addRow("Structures", self.structures)
            elif k in NAMED_PREFIX:
                combo = QComboBox()
                combo.setObjectName(f"export_{k}_name")
                combo.addItems(available_names(self.doc, k))
                pf.addRow("Structure", combo)
                self.names[k] = combo
            self.page_of[k] = self.pages.addWidget(page)
        layout.addWidget(self.pages)
        row = QHBoxLayout()
        self.out = QLineEdit()
        self.out.setObjectName("export_out")
        browse = QPushButton("…")
        browse.clicked.connect(self._browse)
        row.addWidget(self.out)
        row.addWidget(browse)
        out_form = QFormLayout()
        out_form.addRow("Save as", row)
        layout.addLayout(out_form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setObjectName("export_button")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self._kind_changed()

    def _bundle_options(self, form: QFormLayout) -> None:
        self.deidentify = QCheckBox("De-identify (DICOM PS3.15 basic profile, the case's key)")
        self.deidentify.setObjectName("export_deidentify")
        self.encrypt = QCheckBox("Encrypt with a password (AES-256-GCM, Argon2id)")
        self.encrypt.setObjectName("export_encrypt")
        self.password, self.password2 = QLineEdit(), QLineEdit()
        for w, name in ((self.password, "export_password"), (self.password2, "export_password2")):
            w.setObjectName(name)
            w.setEchoMode(QLineEdit.EchoMode.Password)
            w.setEnabled(False)
        self.encrypt.toggled.connect(self.password.setEnabled)
        self.encrypt.toggled.connect(self.password2.setEnabled)
        form.addRow(self.deidentify)
        form.addRow(self.encrypt)
        form.addRow("Password", self.password)
        form.addRow("Repeat", self.password2)

    @property
    def current_kind(self) -> str:
        return self.kind.currentData()

    def _kind_changed(self) -> None:
        kind = self.current_kind
        self.pages.setCurrentIndex(self.page_of[kind])
        self.about.setText(_describe(kind)[0])
        suffix = _describe(kind)[1]
        text = self.out.text().strip()
        base = Path(text).parent if text else self.case_path.parent
        stem = self.case_path.stem + ("" if kind not in self.names else
                                      f"-{self.names[kind].currentText()}")
        self.out.setText(str(base / f"{stem}-{kind}{suffix}"))

    def _browse(self) -> None:
        chosen, _ = QFileDialog.getSaveFileName(self, "Export to", self.out.text(),
                                                _describe(self.current_kind)[2])
        if chosen:
            self.out.setText(chosen)

    def params(self):
        """The :class:`~twindesk.report.exports.ExportParams` of the form."""
        from twindesk.io.sealed import MIN_PASSWORD_CHARS
        from twindesk.report.exports import ExportParams

        kind = self.current_kind
        what, password, deid = kind, None, False
        if kind == "seg":
            chosen = [self.structures.item(i).text() for i in range(self.structures.count())
                      if self.structures.item(i).checkState() == Qt.CheckState.Checked]
            if not chosen:
                raise InputError("no structure is ticked for the DICOM SEG",
                                 "tick at least one segmentation")
            what = "seg:" + ",".join(chosen)
        elif kind in self.names:
            name = self.names[kind].currentText()
            if not name:
                raise InputError(f"the case has no {kind} to export",
                                 f"compute the {kind} of a structure first")
            what = f"{kind}:{name}"
        elif kind == "bundle":
            deid = self.deidentify.isChecked()
            if self.encrypt.isChecked():
                pw = self.password.text()
                if pw != self.password2.text():
                    raise InputError("the two passwords differ", "type the same password twice")
                if len(pw) < MIN_PASSWORD_CHARS:
                    raise InputError(f"the password is shorter than {MIN_PASSWORD_CHARS} "
                                     "characters", "use a longer password")
                password = pw.encode("utf-8")
        out = self.out.text().strip()
        if not out:
            raise InputError("no output file", "choose where to save the export")
        return ExportParams(self.case_path, Path(out), what, password, deid)

    def _accept(self) -> None:
        from twindesk.report.exports import run

        try:
            params = self.params()
        except InputError as exc:
            self.window_.errors.report(exc)
            return
        self.accept()
        self.window_.jobs.start(f"Exporting {params.what}", run, params, self._done)

    def _done(self, result: dict) -> None:
        extra = " (de-identified)" if result.get("deidentified") else ""
        self.window_.show_status(f"Exported {result['what']} to {result['out']} "
                                 f"({result['bytes']} bytes){extra}", 10000)


def run_export_dialog(window) -> ExportDialog | None:
    """File ▸ Export…: the dialog for the saved state of the open case (non-blocking)."""
    if not require_saved(window, "Export", write=False):
        return None
    dialog = ExportDialog(window)
    dialog.finished.connect(lambda _r: dialog.deleteLater())
    window.export_dialog_ = dialog
    dialog.open()
    return dialog
