"""Import a DICOM folder: scan it (job), choose a series in a table with thumbnails, import it
(job) into a new case, open the case.

The scan and the import are the core functions ``twindesk.io.dicom.browse.browse_folder`` and
``twindesk.model.ingest.import_source`` (the same as ``twindesk scan`` / ``twindesk import``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog,
                               QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QTableWidget, QTableWidgetItem, QVBoxLayout)

from twindesk.errors import InputError
from twindesk.paths import user_data_dir

COLUMNS = ("", "Description", "Slices", "Spacing (mm)", "Phase", "Modality", "Status")


@dataclass(frozen=True)
class ImportParams:
    src: Path
    case_path: Path
    series_uid: str | None
    phase_percent: float | None
    deidentify: bool


def browse_job(folder: Path, progress, cancel):
    from twindesk.io.dicom.browse import browse_folder

    return browse_folder(folder, progress, cancel)


def import_job(params: ImportParams, progress, cancel) -> Path:
    from twindesk.model.ingest import import_source

    case = import_source(params.src, params.case_path, series_uid=params.series_uid,
                         phase_percent=params.phase_percent, deidentify=params.deidentify,
                         progress=progress, cancel=cancel)
    case.close()
    return params.case_path


def default_cases_dir() -> Path:
    return user_data_dir() / "cases"


def safe_name(text: str) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "case"
    return name[:60]


def _icon(thumb: np.ndarray | None) -> QIcon:
    if thumb is None:
        return QIcon()
    buf = np.ascontiguousarray(thumb)
    img = QImage(buf.data, buf.shape[1], buf.shape[0], buf.shape[1],
                 QImage.Format.Format_Grayscale8).copy()
    return QIcon(QPixmap.fromImage(img))


def phase_text(entry: dict) -> str:
    phases = entry["phases"]
    if len(phases) <= 1:
        p = phases[0]["percent"] if phases else None
        return "-" if p is None else f"{p:.0f} %"
    return f"{len(phases)} phases"


class ImportDialog(QDialog):
    """Series table and import options for one scanned folder."""

    def __init__(self, listing, parent=None):
        super().__init__(parent)
        self.setObjectName("import_dialog")
        self.setWindowTitle(f"Import DICOM — {listing.root}")
        self.listing = listing
        self.resize(900, 520)
        layout = QVBoxLayout(self)
        self.table = QTableWidget(len(listing.series), len(COLUMNS))
        self.table.setObjectName("series_table")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setIconSize(QSize(64, 64))
        self.table.verticalHeader().setDefaultSectionSize(68)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        for r, (entry, thumb) in enumerate(zip(listing.series, listing.thumbnails)):
            spacing = " × ".join(f"{v:.3g}" for v in entry["spacing_mm"]) \
                if entry["spacing_mm"] else "-"
            slices = str(entry["size"][2]) if entry["size"] else str(entry["n_files"])
            status = "ok" if entry["importable"] else (entry["reason"] or "not a volume")
            if entry["importable"] and entry["warnings"]:
                status = "; ".join(entry["warnings"])
            cells = ["", entry["description"] or "(no description)", slices, spacing,
                     phase_text(entry), entry["modality"] or "?", status]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if not entry["importable"]:
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
                self.table.setItem(r, c, item)
            self.table.item(r, 0).setIcon(_icon(thumb))
        self.table.resizeColumnsToContents()
        self.table.setColumnWidth(0, 72)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        layout.addWidget(self.table)
        form = QFormLayout()
        self.phase = QComboBox()
        self.phase.setObjectName("phase_choice")
        form.addRow("Cardiac phase", self.phase)
        row = QHBoxLayout()
        self.case_path = QLineEdit()
        self.case_path.setObjectName("case_path")
        browse = QPushButton("…")
        browse.clicked.connect(self._choose_destination)
        row.addWidget(self.case_path)
        row.addWidget(browse)
        form.addRow("New case", row)
        self.deidentify = QCheckBox("De-identify (DICOM PS3.15 basic profile)")
        form.addRow("", self.deidentify)
        layout.addLayout(form)
        if listing.skipped:
            layout.addWidget(QLabel(f"{len(listing.skipped)} file(s) skipped (not DICOM "
                                    "images)."))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.import_button = buttons.addButton("Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setObjectName("import_button")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        first = next((r for r, e in enumerate(listing.series) if e["importable"]), None)
        if first is not None:
            self.table.selectRow(first)
        self._selection_changed()

    def selected_entry(self) -> dict | None:
        rows = {i.row() for i in self.table.selectedIndexes()}
        if not rows:
            return None
        entry = self.listing.series[rows.pop()]
        return entry if entry["importable"] else None

    def _selection_changed(self) -> None:
        entry = self.selected_entry()
        self.import_button.setEnabled(entry is not None)
        self.phase.clear()
        if entry is None:
            return
        for p in entry["phases"]:
            label = f"{p['percent']:.0f} % R-R" if p["percent"] is not None else \
                f"phase {p['number']}"
            self.phase.addItem(f"{label} ({p['n_slices']} slices)", p["percent"])
        self.phase.setEnabled(len(entry["phases"]) > 1)
        stem = safe_name(entry["patient"]["id"] or entry["description"] or "case")
        self.case_path.setText(str(unique_case_path(default_cases_dir(), stem)))

    def _choose_destination(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder for the new case",
                                                  str(default_cases_dir()))
        if folder:
            name = Path(self.case_path.text()).name or "case.twin"
            self.case_path.setText(str(unique_case_path(Path(folder), Path(name).stem)))

    def params(self) -> ImportParams:
        entry = self.selected_entry()
        if entry is None:
            raise InputError("no importable series is selected", "select a series marked ok")
        text = self.case_path.text().strip()
        if not text:
            raise InputError("the new case has no folder name", "type a name ending in .twin")
        percent = self.phase.currentData() if len(entry["phases"]) > 1 else None
        return ImportParams(self.listing.root, Path(text), entry["series_uid"], percent,
                            self.deidentify.isChecked())


def unique_case_path(folder: Path, stem: str) -> Path:
    path = folder / f"{stem}.twin"
    n = 2
    while path.exists():
        path = folder / f"{stem}-{n}.twin"
        n += 1
    return path


def run_import_dialog(window, folder: Path | None = None) -> None:
    """File ▸ Import DICOM folder: pick a folder, scan it as a job, then show the dialog."""
    if folder is None:
        chosen = QFileDialog.getExistingDirectory(window, "Import DICOM folder",
                                                  str(Path.home()))
        if not chosen:
            return
        folder = Path(chosen)
    window.jobs.start(f"Scanning {folder.name}", browse_job, Path(folder),
                      lambda listing: show_listing(window, listing))


def show_listing(window, listing) -> ImportDialog:
    """Show the series table (non-blocking); Import starts the import job."""
    dialog = ImportDialog(listing, window)

    def accepted() -> None:
        try:
            params = dialog.params()
        except InputError as exc:
            window.errors.report(exc)
            return
        params.case_path.parent.mkdir(parents=True, exist_ok=True)
        window.jobs.start(f"Importing into {params.case_path.name}", import_job, params,
                          window.open_case)

    dialog.accepted.connect(accepted)
    dialog.finished.connect(lambda _r: dialog.deleteLater())
    window.import_dialog = dialog
    dialog.open()
    return dialog
