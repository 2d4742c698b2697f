"""DICOM network panel: start/stop the receiver (C-STORE SCP), the inbox with an Import
button per series, and the PACS pull dialog.

The receiver is :class:`twindesk.io.dicom_net.receiver.DicomReceiver` (the same as
``twindesk receive``): it listens on localhost unless told otherwise and refuses calling AE
titles outside the allow-list when one is set. Nothing listens until the user presses Start.
"""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QScrollArea, QSpinBox, QVBoxLayout, QWidget)

from twindesk.errors import InputError, TwindeskError
from twindesk.ui.actions import ActionSpec
from twindesk.ui.panels.base import Panel
from twindesk.ui.tables import fill_table, make_table

LOCAL_ADDRESSES = ("127.0.0.1", "localhost", "::1")
REFRESH_MS = 1500


class NetworkPanel(Panel):
    panel_id = "network"
    title = "DICOM network"
    area = "right"

    def __init__(self, window):
        from twindesk.io.dicom_net.inbox import default_inbox

        super().__init__(window)
        self.receiver = None
        self.inbox = default_inbox()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()   # a short window keeps its height: the panel scrolls
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        inner = QWidget()
        scroll.setWidget(inner)
        outer.addWidget(scroll)
        layout = QVBoxLayout(inner)
        form = QFormLayout()
        self.port = QSpinBox()
        self.port.setObjectName("net_port")
        self.port.setRange(1, 65535)
        self.port.setValue(11112)
        self.ae_title = QLineEdit("TWINDESK")
        self.ae_title.setObjectName("net_ae_title")
        self.allow = QLineEdit()
        self.allow.setObjectName("net_allow")
        self.allow.setPlaceholderText("calling AE titles, e.g. SCANNER1 CT2 (empty: any)")
        self.bind = QLineEdit("127.0.0.1")
        self.bind.setObjectName("net_bind")
        self.bind.setToolTip("127.0.0.1 = this computer only; another address exposes the "
                             "receiver to the network")
        form.addRow("Port", self.port)
        form.addRow("Our AE title", self.ae_title)
        form.addRow("Accept from", self.allow)
        form.addRow("Listen on", self.bind)
        layout.addLayout(form)
        row = QHBoxLayout()
        self.start_button = QPushButton("Start receiver")
        self.start_button.setObjectName("net_start")
        self.start_button.setCheckable(True)
        self.start_button.toggled.connect(self._toggled)
        pacs = QPushButton("PACS…")
        pacs.setObjectName("net_pacs")
        pacs.clicked.connect(self.pacs_dialog)
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh_inbox)
        for w in (self.start_button, pacs, refresh):
            row.addWidget(w)
        layout.addLayout(row)
        self.status = QLabel("Receiver stopped")
        self.status.setObjectName("net_status")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.inbox_label = QLabel(f"Inbox: {self.inbox}")
        self.inbox_label.setWordWrap(True)
        layout.addWidget(self.inbox_label)
        self.table = make_table(("", "Files", "Modality", "Description", "Study date",
                                 "Folder"), "net_inbox")
        layout.addWidget(self.table, 1)
        self.series: list[dict] = []
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.refresh_inbox)
        self.refresh_inbox()

    def action_specs(self) -> list[ActionSpec]:
        return [ActionSpec("net.pacs", "&Pull from PACS…", "pacs_dialog", "DICOM",
                           tip="Query a PACS and retrieve a study into the inbox"),
                ActionSpec("net.receiver", "&Receiver running", "toggle_receiver", "DICOM",
                           checkable=True,
                           tip="Receive series sent from a scanner or PACS (localhost by "
                               "default)")]

    # ------------------------------------------------------------- receiver
    def toggle_receiver(self, on: bool) -> None:
        self.start_button.setChecked(on)

    def _toggled(self, on: bool) -> None:
        if on:
            self.start()
        else:
            self.stop()
        self._sync_controls()

    def _sync_controls(self) -> None:
        """Button, menu item and fields follow whether the receiver runs."""
        running = self.running
        action = getattr(self.window_, "actions_by_id", {}).get("net.receiver")
        for w in (self.start_button, action):
            if w is not None and w.isChecked() != running:
                w.blockSignals(True)
                w.setChecked(running)
                w.blockSignals(False)
        self.start_button.setText("Stop receiver" if running else "Start receiver")
        for w in (self.port, self.ae_title, self.allow, self.bind):
            w.setEnabled(not running)

    @property
    def running(self) -> bool:
        return self.receiver is not None

    def params(self):
        from twindesk.io.dicom_net.receiver import ReceiverParams

        allow = tuple(a for a in re.split(r"[\s,;]+", self.allow.text().strip()) if a)
        bind = self.bind.text().strip() or "127.0.0.1"
        return ReceiverParams(inbox=self.inbox, port=int(self.port.value()),
                              ae_title=self.ae_title.text().strip(), bind=bind, allow=allow)

    def start(self) -> bool:
        from twindesk.io.dicom_net.receiver import DicomReceiver

        if self.running:
            return True
        try:
            params = self.params()
            receiver = DicomReceiver(params)
            receiver.start()
        except TwindeskError as exc:
            self.window_.errors.report(exc)
            return False
        self.receiver = receiver
        self._sync_controls()
        exposed = "" if params.bind in LOCAL_ADDRESSES else \
            " — reachable from the network"
        allow = f", accepting only {', '.join(params.allow)}" if params.allow else \
            ", accepting any calling AE"
        self.status.setText(f"Listening on {params.bind}:{params.port} as {params.ae_title}"
                            f"{allow}{exposed}")
        self.timer.start(REFRESH_MS)
        return True

    def stop(self) -> None:
        if self.receiver is None:
            return
        stats = self.receiver.stats
        self.receiver.stop()
        self.receiver = None
        self.timer.stop()
        self._sync_controls()
        self.status.setText(f"Receiver stopped ({stats.files} files received, "
                            f"{stats.failures} failures)")
        self.refresh_inbox()

    def shutdown(self) -> None:
        self.stop()

    # ---------------------------------------------------------------- inbox
    def refresh_inbox(self) -> None:
        from twindesk.io.dicom_net.inbox import list_inbox

        series = list_inbox(self.inbox)
        if self.running:
            st = self.receiver.stats
            base = self.status.text().split(" — received")[0]
            self.status.setText(f"{base} — received {st.files} files")
        if [(s["folder"], s["n_files"]) for s in series] == \
                [(s["folder"], s["n_files"]) for s in self.series]:
            return
        self.series = series
        fill_table(self.table, [("", s["n_files"], s.get("modality", "?"),
                                 s.get("description") or s.get("problem", ""),
                                 s.get("study_date", ""), s["folder"]) for s in series])
        for r, s in enumerate(series):
            button = QPushButton("Import")
            button.setObjectName(f"net_import_{r}")
            button.setToolTip(f"Import {s['folder']} into a new case")
            button.clicked.connect(lambda _=False, f=s["folder"]: self.import_series(Path(f)))
            self.table.setCellWidget(r, 0, button)
        self.table.resizeColumnsToContents()

    def import_series(self, folder: Path) -> None:
        from twindesk.ui.dialogs.import_dialog import run_import_dialog

        if not Path(folder).is_dir():
            self.window_.errors.report(InputError(f"{folder} is no longer in the inbox",
                                                  "press Refresh"))
            return
        run_import_dialog(self.window_, Path(folder))

    # ----------------------------------------------------------------- PACS
    def pacs_dialog(self):
        from twindesk.ui.dialogs.pacs_dialog import PacsDialog

        dialog = PacsDialog(self.window_, self.inbox)
        dialog.finished.connect(lambda _r: (self.refresh_inbox(), dialog.deleteLater()))
        self.window_.pacs_dialog = dialog
        dialog.open()
        return dialog
