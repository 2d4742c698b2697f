"""PACS pull: query a PACS (C-FIND), retrieve the chosen study into the inbox (C-GET, a job
with progress and Cancel), then import it like any DICOM folder.

The network calls are :func:`twindesk.io.dicom_net.pacs.find_studies` and
:func:`~twindesk.io.dicom_net.pacs.get_study` (the same as ``twindesk pacs find|get``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QSpinBox, QVBoxLayout)

from twindesk.errors import InputError
from twindesk.ui.tables import fill_table, make_table, selected_rows

COLUMNS = ("Date", "Patient ID", "Patient name", "Description", "Modalities", "Images",
           "Study UID")


@dataclass(frozen=True)
class FindParams:
    peer: object                      # twindesk.io.dicom_net.pacs.PacsPeer
    query: dict = field(default_factory=dict)


@dataclass(frozen=True)
class GetParams:
    peer: object
    inbox: Path
    study_uid: str


def find_job(params: FindParams, progress, cancel):
    from twindesk.io.dicom_net import pacs

    progress(0.1, "querying")
    return pacs.find_studies(params.peer, **params.query)


def get_job(params: GetParams, progress, cancel):
    from twindesk.io.dicom_net import pacs

    return pacs.get_study(params.peer, params.inbox, params.study_uid, progress=progress,
                          cancel=cancel)


def study_folder(folders: list[str]) -> Path:
    """The inbox folder of a retrieved study (the series folders' common parent)."""
    parents = {Path(f).parent for f in folders}
    return parents.pop() if len(parents) == 1 else Path(folders[0])


def _cell(value) -> str:
    return "\\".join(value) if isinstance(value, list) else str(value or "")


class PacsDialog(QDialog):
    """Host, port, AE titles and query; the studies found; Retrieve and import."""

    def __init__(self, window, inbox: Path):
        super().__init__(window)
        self.window_ = window
        self.inbox = Path(inbox)
        self.setObjectName("pacs_dialog")
        self.setWindowTitle("Pull a study from a PACS")
        self.resize(900, 520)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        peer_row = QHBoxLayout()
        self.host = QLineEdit("127.0.0.1")
        self.host.setObjectName("pacs_host")
        self.port = QSpinBox()
        self.port.setObjectName("pacs_port")
        self.port.setRange(1, 65535)
        self.port.setValue(4242)
        self.called_ae = QLineEdit("ANY-SCP")
        self.called_ae.setObjectName("pacs_called_ae")
        self.our_ae = QLineEdit("TWINDESK")
        self.our_ae.setObjectName("pacs_our_ae")
        for label, w in (("Host", self.host), ("Port", self.port), ("PACS AE", self.called_ae),
                         ("Our AE", self.our_ae)):
            peer_row.addWidget(QLabel(label))
            peer_row.addWidget(w)
        form.addRow("PACS", peer_row)
        query_row = QHBoxLayout()
        self.patient_id, self.patient_name = QLineEdit(), QLineEdit()
        self.study_date, self.modality = QLineEdit(), QLineEdit()
        self.patient_id.setObjectName("pacs_patient_id")
        self.study_date.setPlaceholderText("YYYYMMDD or range")
        self.modality.setPlaceholderText("CT")
        for label, w in (("Patient ID", self.patient_id), ("Name", self.patient_name),
                         ("Date", self.study_date), ("Modality", self.modality)):
            query_row.addWidget(QLabel(label))
            query_row.addWidget(w)
        self.find_button = QPushButton("Find")
        self.find_button.setObjectName("pacs_find")
        self.find_button.clicked.connect(self.find)
        query_row.addWidget(self.find_button)
        form.addRow("Query", query_row)
        layout.addLayout(form)
        self.table = make_table(COLUMNS, "pacs_studies")
        self.table.itemSelectionChanged.connect(self._selection_changed)
        layout.addWidget(self.table)
        self.status = QLabel(f"Retrieved studies go to the inbox {self.inbox}")
        self.status.setObjectName("pacs_status")
        layout.addWidget(self.status)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.get_button = buttons.addButton("Retrieve and import",
                                            QDialogButtonBox.ButtonRole.ActionRole)
        self.get_button.setObjectName("pacs_get")
        self.get_button.setEnabled(False)
        self.get_button.clicked.connect(self.retrieve)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.studies: list[dict] = []

    def peer(self):
        from twindesk.io.dicom_net.pacs import PacsPeer

        host = self.host.text().strip()
        if not host:
            raise InputError("the PACS host is empty", "type its name or address")
        return PacsPeer(host=host, port=int(self.port.value()),
                        called_ae=self.called_ae.text().strip(),
                        calling_ae=self.our_ae.text().strip())

    def find(self) -> None:
        try:
            params = FindParams(self.peer(), {
                "patient_id": self.patient_id.text().strip(),
                "patient_name": self.patient_name.text().strip(),
                "study_date": self.study_date.text().strip(),
                "modality": self.modality.text().strip()})
        except InputError as exc:
            self.window_.errors.report(exc)
            return
        self.status.setText("Querying…")
        self.window_.jobs.start("Querying the PACS", find_job, params, self._found)

    def _found(self, studies: list[dict]) -> None:
        self.studies = list(studies)
        fill_table(self.table, [(s["StudyDate"], s["PatientID"], s["PatientName"],
                                 s["StudyDescription"], _cell(s["ModalitiesInStudy"]),
                                 s["NumberOfStudyRelatedInstances"], s["StudyInstanceUID"])
                                for s in self.studies])
        self.status.setText(f"{len(self.studies)} studies found" if self.studies
                            else "No studies match the query")
        if self.studies:
            self.table.selectRow(0)

    def _selection_changed(self) -> None:
        self.get_button.setEnabled(bool(selected_rows(self.table)))

    def retrieve(self) -> None:
        rows = selected_rows(self.table)
        if not rows:
            return
        uid = self.studies[rows[0]]["StudyInstanceUID"]
        try:
            params = GetParams(self.peer(), self.inbox, uid)
        except InputError as exc:
            self.window_.errors.report(exc)
            return
        self.status.setText(f"Retrieving {uid} (Cancel in the status bar)…")
        self.window_.jobs.start("Retrieving from the PACS", get_job, params, self._retrieved,
                                on_cancelled=lambda: self.status.setText("Retrieve cancelled"))

    def _retrieved(self, result: dict) -> None:
        from twindesk.ui.dialogs.import_dialog import run_import_dialog

        folder = study_folder(result["folders"])
        self.status.setText(f"Retrieved {result['files']} files into {folder}")
        self.window_.show_status(f"Retrieved {result['files']} files; choose the series to "
                                 "import")
        self.accept()
        run_import_dialog(self.window_, folder)
