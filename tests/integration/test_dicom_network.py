"""DICOM receiver and PACS query/retrieve against real peers (dcmtk, Orthanc) on localhost."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pydicom
import pytest

from twindesk.io.dicom.write import write_series


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is missing: run scripts/setup.sh (installs dcmtk and orthanc)")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def series(tmp_path) -> list[Path]:
    import SimpleITK as sitk

    rng = np.random.default_rng(3)
    img = sitk.GetImageFromArray(rng.integers(-1000, 2000, (6, 24, 20)).astype(np.int16))
    img.SetSpacing((0.7, 0.7, 1.0))
    return write_series(img, tmp_path / "src", patient_name="Net^Test", patient_id="NET1",
                        series_description="net test")


def start_receiver(inbox: Path, port: int, *extra: str) -> subprocess.Popen:
    # Ctrl+C as from a terminal: a test run started in the background of a shell without job
    # control inherits SIGINT ignored, and Python then installs no KeyboardInterrupt handler
    proc = subprocess.Popen([sys.executable, "-m", "twindesk", "receive", "--port", str(port),
                             "--ae-title", "TWINDESK", "--inbox", str(inbox), "--json", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    line = proc.stderr.readline()
    assert "listening on 127.0.0.1" in line, line
    return proc


def stop(proc: subprocess.Popen) -> tuple[int, str, str]:
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()  # leave no receiver behind for the next tests
        proc.communicate()
        raise
    return proc.returncode, out, err


def same_instance(a: Path, b: Path) -> bool:
    da, db = pydicom.dcmread(a), pydicom.dcmread(b)
    return (da.SOPInstanceUID == db.SOPInstanceUID and da.PixelData == db.PixelData
            and da.PatientName == db.PatientName
            and list(da.ImagePositionPatient) == list(db.ImagePositionPatient))


def test_receiver_stores_every_file_intact(tmp_path, series):
    storescu, echoscu = need("storescu"), need("echoscu")
    inbox, port = tmp_path / "inbox", free_port()
    proc = start_receiver(inbox, port)
    try:
        echo = subprocess.run([echoscu, "-aet", "SCANNER", "-aec", "TWINDESK", "127.0.0.1",
                               str(port)], capture_output=True, text=True, timeout=30)
        assert echo.returncode == 0, echo.stderr
        send = subprocess.run([storescu, "-aet", "SCANNER", "-aec", "TWINDESK", "127.0.0.1",
                               str(port), *map(str, series)], capture_output=True, text=True,
                              timeout=60)
        assert send.returncode == 0, send.stderr
    finally:
        code, out, err = stop(proc)
    assert code == 0, err
    summary = json.loads(out)
    assert summary["files"] == len(series) and summary["failures"] == 0
    received = sorted(inbox.glob("*/*/*.dcm"))
    assert len(received) == len(series)
    by_uid = {pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID: p for p in received}
    for src in series:
        uid = pydicom.dcmread(src, stop_before_pixels=True).SOPInstanceUID
        assert same_instance(src, by_uid[uid])
    log = [json.loads(x) for x in (inbox / "inbox-log.jsonl").read_text().splitlines()]
    assert {"started", "association", "stopped"} <= {e["event"] for e in log}
    assert any(e.get("calling_ae") == "SCANNER" for e in log)


def test_receiver_refuses_unknown_calling_ae(tmp_path, series):
    storescu = need("storescu")
    inbox, port = tmp_path / "inbox", free_port()
    proc = start_receiver(inbox, port, "--allow", "GOODAE")
    try:
        bad = subprocess.run([storescu, "-aet", "BADAE", "-aec", "TWINDESK", "127.0.0.1",
                              str(port), str(series[0])], capture_output=True, text=True,
                             timeout=60)
        good = subprocess.run([storescu, "-aet", "GOODAE", "-aec", "TWINDESK", "127.0.0.1",
                               str(port), str(series[1])], capture_output=True, text=True,
                              timeout=60)
    finally:
        code, out, _ = stop(proc)
    assert bad.returncode != 0 and "reject" in (bad.stdout + bad.stderr).lower()
    assert good.returncode == 0
    assert json.loads(out)["files"] == 1
    log = [json.loads(x) for x in (inbox / "inbox-log.jsonl").read_text().splitlines()]
    assert any(e["event"] == "refused" and e["calling_ae"] == "BADAE" for e in log)


def test_receiver_binds_localhost_by_default(tmp_path):
    port = free_port()
    proc = start_receiver(tmp_path / "inbox", port)
    try:
        out = subprocess.run(["ss", "-ltn"], capture_output=True, text=True).stdout \
            if shutil.which("ss") else ""
        if out:
            listening = [line for line in out.splitlines() if f":{port} " in line]
            assert listening and all("127.0.0.1" in line for line in listening), listening
    finally:
        stop(proc)


def test_hostile_uids_never_escape_the_inbox(tmp_path):
    from twindesk.io.dicom_net.inbox import safe_uid_component, store_file

    assert safe_uid_component("1.2.840.10008") == "1.2.840.10008"
    for hostile in ("../../etc", "/abs", "1.2/../3", "", None, "a" * 100):
        comp = safe_uid_component(hostile)
        assert "/" not in comp and ".." not in comp and comp.startswith("x")
    path = store_file(tmp_path / "inbox", "../../up", "..", "/etc/passwd", b"data")
    assert path.resolve().is_relative_to((tmp_path / "inbox").resolve())


@pytest.fixture
def orthanc(tmp_path):
    exe = need("Orthanc")
    dicom_port, http_port = free_port(), free_port()
    storage = tmp_path / "orthanc-db"
    config = {
        "Name": "twindesk-test", "StorageDirectory": str(storage), "IndexDirectory": str(storage),
        "HttpServerEnabled": True, "HttpPort": http_port, "RemoteAccessAllowed": False,
        "AuthenticationEnabled": False, "DicomServerEnabled": True, "DicomAet": "ORTHANC",
        "DicomPort": dicom_port, "Plugins": [], "ConcurrentJobs": 1,
        "DicomModalities": {"twindesk": {"AET": "TWINDESK", "Host": "127.0.0.1", "Port": 104,
                                         "AllowFind": True, "AllowGet": True,
                                         "AllowStore": True, "AllowEcho": True}},
        "DicomAlwaysAllowFind": False, "DicomAlwaysAllowGet": False,
    }
    cfg = tmp_path / "orthanc.json"
    cfg.write_text(json.dumps(config))
    log = open(tmp_path / "orthanc.log", "w")
    proc = subprocess.Popen([exe, str(cfg)], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 30
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", dicom_port)) == 0:
                break
        time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("Orthanc did not start: " + (tmp_path / "orthanc.log").read_text()[-2000:])
    yield dicom_port
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


def test_pacs_find_and_get_from_orthanc(tmp_path, series, orthanc, run_cli):
    storescu = need("storescu")
    send = subprocess.run([storescu, "-aet", "TWINDESK", "-aec", "ORTHANC", "127.0.0.1",
                           str(orthanc), *map(str, series)], capture_output=True, text=True,
                          timeout=60)
    assert send.returncode == 0, send.stderr
    study_uid = str(pydicom.dcmread(series[0], stop_before_pixels=True).StudyInstanceUID)
    r = run_cli("pacs", "find", "--host", "127.0.0.1", "--port", orthanc, "--called-ae",
                "ORTHANC", "--ae-title", "TWINDESK", "--patient-id", "NET1", "--json")
    assert r.code == 0, r.err
    assert [s["StudyInstanceUID"] for s in r.json["studies"]] == [study_uid]
    assert r.json["studies"][0]["NumberOfStudyRelatedInstances"] == str(len(series))
    inbox = tmp_path / "pulled"
    r = run_cli("pacs", "get", "--host", "127.0.0.1", "--port", orthanc, "--called-ae",
                "ORTHANC", "--ae-title", "TWINDESK", "--study-uid", study_uid, "--inbox", inbox,
                "--json")
    assert r.code == 0, r.err
    assert r.json["files"] == len(series)
    pulled = {pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID: p
              for p in inbox.glob("*/*/*.dcm")}
    for src in series:
        uid = pydicom.dcmread(src, stop_before_pixels=True).SOPInstanceUID
        assert same_instance(src, pulled[uid])
    r = run_cli("inbox", "--inbox", inbox, "--json")
    assert r.code == 0 and r.json["series"][0]["n_files"] == len(series)


# pynetdicom 3.0 leaves the socket of a refused TCP connection for the garbage collector.
@pytest.mark.filterwarnings("ignore::ResourceWarning",
                            "ignore::pytest.PytestUnraisableExceptionWarning")
def test_pacs_refusal_is_a_clear_error(orthanc, run_cli):
    r = run_cli("pacs", "find", "--host", "127.0.0.1", "--port", orthanc, "--called-ae",
                "ORTHANC", "--ae-title", "STRANGER", "--json")
    assert r.code == 2
    assert "PACS" in r.err and "Traceback" not in r.err
    r = run_cli("pacs", "find", "--host", "127.0.0.1", "--port", free_port(), "--called-ae",
                "ORTHANC", "--timeout-s", "3")
    assert r.code == 2 and "did not answer" in r.err
