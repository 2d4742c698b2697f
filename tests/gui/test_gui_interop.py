"""DICOM receiver and PACS pull in the window; Export… and Planning report… actions.

The receiver test sends a real series with dcmtk's storescu to a free localhost port; the
PACS dialog test replaces the network calls with a tiny fake (the real Orthanc test of the
core lives in tests/integration)."""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import numpy as np
import pydicom
import pytest

from tests.gui.conftest import wait_idle
from tests.gui.test_gui_import import write_dicom
from twindesk.model.case import Case


@pytest.fixture(autouse=True)
def own_inbox(tmp_path, monkeypatch):
    """Per-user folders (the inbox) under the test's own folder."""
    monkeypatch.setenv("TWINDESK_HOME", str(tmp_path / "home"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dcmtk(tool: str) -> str:
    """dcmtk's tool (Debian package dcmtk), not a same-named Python entry point."""
    path = shutil.which(tool, path="/usr/bin:/bin") or shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is missing: run scripts/setup.sh (installs dcmtk)")
    return path


def audit(path: Path) -> list[dict]:
    with Case.open(path, write=False) as case:
        return case.audit_entries()


def test_receiver_start_receive_list_import_stop(main_window, qtbot, tmp_path):
    panel = main_window.panels["network"]
    assert panel.bind.text() == "127.0.0.1" and not panel.running   # nothing listens by default
    vol = write_dicom(tmp_path / "src", "Sent CTA")
    files = sorted((tmp_path / "src").glob("*.dcm"))
    port = free_port()
    panel.port.setValue(port)
    panel.allow.setText("SCANNER")
    main_window.actions_by_id["net.receiver"].trigger()
    assert panel.running and "Listening on 127.0.0.1" in panel.status.text()
    assert "accepting only SCANNER" in panel.status.text()
    refused = subprocess.run([dcmtk("storescu"), "-aet", "INTRUDER", "-aec", "TWINDESK",
                              "127.0.0.1", str(port), str(files[0])], capture_output=True,
                             text=True, timeout=60)
    assert refused.returncode != 0
    sent = subprocess.run([dcmtk("storescu"), "-aet", "SCANNER", "-aec", "TWINDESK",
                           "127.0.0.1", str(port), *map(str, files)], capture_output=True,
                          text=True, timeout=60)
    assert sent.returncode == 0, sent.stderr
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1 and
                    panel.table.item(0, 1).text() == str(len(files)), timeout=10000)
    assert panel.table.item(0, 3).text() == "Sent CTA"
    received = sorted(Path(panel.series[0]["folder"]).glob("*.dcm"))
    assert {pydicom.dcmread(f).SOPInstanceUID for f in received} == \
        {pydicom.dcmread(f).SOPInstanceUID for f in files}
    main_window.actions_by_id["net.receiver"].trigger()          # stop
    assert not panel.running and f"{len(files)} files received" in panel.status.text()
    # Import from the inbox: the usual series dialog, then a new case opens
    panel.table.cellWidget(0, 0).click()
    wait_idle(qtbot, main_window)
    dialog = main_window.import_dialog
    assert dialog.table.item(0, 1).text() == "Sent CTA"
    dialog.case_path.setText(str(tmp_path / "cases" / "sent.twin"))
    dialog.import_button.click()
    qtbot.waitUntil(lambda: main_window.session is not None and main_window.state.has_volume,
                    timeout=60000)
    wait_idle(qtbot, main_window)
    np.testing.assert_array_equal(main_window.state.volume, vol)
    assert main_window.errors.history == []


def test_receiver_on_a_busy_port_reports_once(main_window):
    panel = main_window.panels["network"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        panel.port.setValue(s.getsockname()[1])
        panel.start_button.click()
        assert not panel.running and not panel.start_button.isChecked()
    assert len(main_window.errors.history) == 1
    assert "cannot listen" in main_window.errors.history[0][0]
    main_window.errors.close_all()


class FakePacs:
    """find_studies / get_study stand-ins that write a real series into the inbox."""

    def __init__(self, src: Path):
        self.src, self.calls = src, []

    def find_studies(self, peer, **query):
        self.calls.append(("find", peer, query))
        uid = pydicom.dcmread(next(self.src.glob("*.dcm"))).StudyInstanceUID
        return [{"PatientName": "PACS^TEST", "PatientID": "P-7", "StudyDate": "20240301",
                 "StudyDescription": "CTA heart", "StudyInstanceUID": str(uid),
                 "ModalitiesInStudy": ["CT"], "AccessionNumber": "",
                 "NumberOfStudyRelatedInstances": "32"}]

    def get_study(self, peer, inbox, study_uid, series_uid="", progress=None, cancel=None):
        from twindesk.io.dicom_net.inbox import store_file

        self.calls.append(("get", peer, study_uid))
        files = sorted(self.src.glob("*.dcm"))
        folders = set()
        for n, f in enumerate(files):
            ds = pydicom.dcmread(f)
            folders.add(str(store_file(inbox, ds.StudyInstanceUID, ds.SeriesInstanceUID,
                                       ds.SOPInstanceUID, f.read_bytes()).parent))
            progress((n + 1) / len(files), f"{n + 1} received")
            cancel.check()
        return {"study_uid": study_uid, "series_uid": None, "files": len(files),
                "folders": sorted(folders)}


def test_pacs_dialog_find_get_then_import(main_window, qtbot, tmp_path, monkeypatch):
    from twindesk.io.dicom_net import pacs

    write_dicom(tmp_path / "pacs", "PACS CTA")
    fake = FakePacs(tmp_path / "pacs")
    monkeypatch.setattr(pacs, "find_studies", fake.find_studies)
    monkeypatch.setattr(pacs, "get_study", fake.get_study)
    main_window.actions_by_id["net.pacs"].trigger()
    dialog = main_window.pacs_dialog
    assert dialog.isVisible()
    dialog.host.setText("127.0.0.1")
    dialog.port.setValue(4242)
    dialog.called_ae.setText("ORTHANC")
    dialog.patient_id.setText("P-7")
    dialog.find_button.click()
    wait_idle(qtbot, main_window)
    kind, peer, query = fake.calls[0]
    assert (peer.host, peer.port, peer.called_ae, peer.calling_ae) == \
        ("127.0.0.1", 4242, "ORTHANC", "TWINDESK")
    assert query["patient_id"] == "P-7"
    assert dialog.table.rowCount() == 1 and dialog.table.item(0, 3).text() == "CTA heart"
    assert dialog.get_button.isEnabled()
    dialog.get_button.click()
    qtbot.waitUntil(lambda: main_window.import_dialog is not None, timeout=60000)
    wait_idle(qtbot, main_window)
    assert fake.calls[1][0] == "get"
    imp = main_window.import_dialog
    assert imp.table.item(0, 1).text() == "PACS CTA"
    assert main_window.panels["network"].table.rowCount() == 1     # now in the inbox
    imp.case_path.setText(str(tmp_path / "cases" / "pacs.twin"))
    imp.import_button.click()
    qtbot.waitUntil(lambda: main_window.session is not None and main_window.state.has_volume,
                    timeout=60000)
    wait_idle(qtbot, main_window)
    assert main_window.errors.history == []


def test_export_volume_and_encrypted_bundle_are_audited(opened, synthetic_case, qtbot,
                                                        tmp_path):
    import SimpleITK as sitk

    from twindesk.io.bundle import read_bundle

    opened.actions_by_id["file.export"].trigger()
    dialog = opened.export_dialog_
    kinds = [dialog.kind.itemData(i) for i in range(dialog.kind.count())]
    from twindesk.report.exports import EXPORTERS

    assert sorted(kinds) == sorted(EXPORTERS)
    dialog.kind.setCurrentIndex(kinds.index("volume"))
    dialog.out.setText(str(tmp_path / "v.nii.gz"))
    dialog.export_button.click()
    wait_idle(qtbot, opened)
    np.testing.assert_array_equal(
        sitk.GetArrayFromImage(sitk.ReadImage(str(tmp_path / "v.nii.gz"))), synthetic_case.volume)

    opened.actions_by_id["file.export"].trigger()
    dialog = opened.export_dialog_
    dialog.kind.setCurrentIndex(kinds.index("bundle"))
    dialog.encrypt.setChecked(True)
    dialog.password.setText("correct horse")
    dialog.password2.setText("correct hose")
    dialog.out.setText(str(tmp_path / "c.twinbundle"))
    dialog.export_button.click()                     # mismatch: refused, dialog stays
    assert "passwords differ" in opened.errors.history[-1][0] and dialog.isVisible()
    opened.errors.close_all()
    dialog.password2.setText("correct horse")
    dialog.export_button.click()
    wait_idle(qtbot, opened, 120000)
    assert len(opened.errors.history) == 1
    read_bundle(tmp_path / "c.twinbundle", b"correct horse", tmp_path / "back.twin")
    with Case.open(tmp_path / "back.twin", write=False) as case:
        assert case.doc["patient"]["id"] == "GUI-1"
    exports = [e["params"] for e in audit(synthetic_case.path) if e["action"] == "export"]
    assert [e["what"] for e in exports] == ["volume", "bundle"]
    assert exports[1]["out"] == str(tmp_path / "c.twinbundle")


def test_export_seg_lists_only_segmented_structures(opened, synthetic_case, tmp_path):
    from twindesk.imaging import labels

    mask = np.zeros(synthetic_case.volume.shape, bool)
    mask[10:20, 10:20, 10:20] = True
    labels.store(opened.session.case, "aorta", mask, "test mask")
    opened.save_case()
    opened.actions_by_id["file.export"].trigger()
    dialog = opened.export_dialog_
    dialog.kind.setCurrentIndex(dialog.kind.findData("seg"))
    names = [dialog.structures.item(i).text() for i in range(dialog.structures.count())]
    assert names == ["aorta"]
    assert dialog.params().what == "seg:aorta"
    dialog.kind.setCurrentIndex(dialog.kind.findData("mesh"))
    with pytest.raises(Exception, match="no mesh"):
        dialog.params()
    dialog.reject()


def test_report_job_then_offer_to_open(opened, synthetic_case, qtbot, tmp_path):
    answers, opened_files = [], []
    opened.ask = lambda title, text, buttons, default: answers.append(title) or "Yes"
    opened.open_external = opened_files.append
    opened.report_dialog(tmp_path / "plan.pdf")
    assert opened.jobs.busy
    wait_idle(qtbot, opened, 180000)
    assert opened.errors.history == []
    pdf = tmp_path / "plan.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-" and answers == ["Planning report written"]
    assert opened_files == [pdf]
    entry = audit(synthetic_case.path)[-1]
    assert entry["action"] == "report" and entry["params"]["out"] == str(pdf)
