"""De-identified bundles: no identifying value survives in any file of the bundle; dates
shift by one amount (intervals kept); the bundle still imports; the audit log covers it."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
import socket
import tarfile

import pydicom
import pytest
from interop_factory import PHI, STUDY_DATE, make_case

from twindesk.model.case import Case

CLINICAL_TIME = "2024-03-10T08:30:00Z"  # 10 days after the study


def _add_clinical(path):
    with Case.open(path) as case:
        case.doc["clinical"] = {"vitals": [{"sbp_mmhg": 128, "dbp_mmhg": 74,
                                            "time_utc": CLINICAL_TIME}]}
        case.save("clinical", {"note": f"entered for {PHI['PatientName']}"})


def _bundle_files(bundle) -> dict[str, bytes]:
    with tarfile.open(bundle, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}


def _originals(tmp_path) -> list[str]:
    ds = pydicom.dcmread(next((tmp_path / "Doe_Johnathan_PID-83921").glob("*.dcm")),
                         stop_before_pixels=True)
    return [ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID,
            ds.FrameOfReferenceUID]


def _leaked(data: bytes, value: bytes) -> bool:
    """Whether ``value`` stands in ``data`` (any case). A value of digits only (an ID number,
    a date) counts as a whole token: the keyed replacement UIDs and hashes are long random
    digit runs in which any five digits turn up by chance."""
    data, value = data.lower(), value.lower()
    if value.isdigit():
        return re.search(rb"(?<![0-9a-z])" + re.escape(value) + rb"(?![0-9a-z])", data) is not None
    return value in data


def test_a_shifted_run_time_date_is_not_taken_for_an_original():
    shift = dt.date(2024, 2, 29) - dt.datetime.now(dt.timezone.utc).date()
    study = dt.datetime.strptime(STUDY_DATE, "%Y%m%d").date() + shift
    files = {"case.json": json.dumps({"study": {"date": study.strftime("%Y%m%d")}}).encode()}
    assert "2024-02-29" in _chance_dates(files)  # today, shifted, is the original study date
    assert "2024-03-10" not in _chance_dates(files)


def _chance_dates(files: dict[str, bytes]) -> set[str]:
    """Dates a correctly shifted timestamp of this test run can land on.

    Every date in a de-identified bundle moves back by one keyed amount (1 to 3650 days), and
    that includes the times the test itself stamps (case creation, audit entries: today, or
    yesterday if the run spans midnight). About once in 1,800 runs today minus the shift is
    one of the original dates the test looks for (seen once: created_utc shifted to exactly
    2024-02-29). Such a date in the bundle is a shifted timestamp, not the original, so it
    is not evidence of a leak; the bundle's own study date gives the shift."""
    doc = json.loads(files["case.json"])
    shift = (dt.datetime.strptime(doc["study"]["date"], "%Y%m%d").date()
             - dt.datetime.strptime(STUDY_DATE, "%Y%m%d").date())
    today = dt.datetime.now(dt.timezone.utc).date()
    days = [today - dt.timedelta(days=k) + shift for k in (0, 1)]
    return {d.isoformat() for d in days} | {d.strftime("%Y%m%d") for d in days}


def _forbidden(tmp_path, files: dict[str, bytes]) -> list[bytes]:
    values = [v for v in PHI.values()] + ["Johnathan", "Elsewhere", "Gregory", "83921",
                                           STUDY_DATE, "2024-02-29", "2024-03-10",
                                           "Doe_Johnathan", str(tmp_path)]
    values += _originals(tmp_path)
    host = socket.gethostname()
    if len(host) >= 6:
        values.append(host)
    chance = _chance_dates(files)
    return [v.encode() for v in values if v not in chance]


def test_deidentified_bundle_holds_no_phi(tmp_path, run_cli):
    path = make_case(tmp_path)
    _add_clinical(path)
    assert run_cli("export", path, tmp_path / "s.dcm", "--what", "seg").code == 0
    out = tmp_path / "anon.twinbundle"
    r = run_cli("export", path, out, "--what", "bundle", "--deidentify", "--json")
    assert r.code == 0, r.err
    assert r.json["deidentified"] is True and r.json["deidentification_key"] == "new (not kept)"
    files = _bundle_files(out)
    # volume, headers, 4 labels and the import's version snapshot
    assert sum(1 for n in files if n.startswith("artifacts/")) == 7
    forbidden = _forbidden(tmp_path, files)
    for name, data in files.items():
        for value in forbidden:
            assert not _leaked(data, value), (name, value)
    raw = b"".join(files.values()) + gzip.decompress(out.read_bytes())
    assert b"PID-83921" not in raw
    manifest = json.loads(files["manifest.json"])
    assert manifest["deidentified"] is True
    assert manifest["deidentification"]["profile"].startswith("DICOM PS3.15")
    assert [c["code"] for c in manifest["deidentification"]["codes"]] == ["113100", "113107"]
    doc = json.loads(files["case.json"])
    assert doc["patient"]["name"] == "ANONYMOUS" and doc["patient"]["id"].startswith("ANON-")
    assert "key" not in doc["deid"] and "date_shift_days" not in doc["deid"]
    # one shift for every date: the clinical record is still 10 days after the study
    study = dt.datetime.strptime(doc["study"]["date"], "%Y%m%d").date()
    vital = dt.date.fromisoformat(doc["clinical"]["vitals"][0]["time_utc"][:10])
    assert (vital - study).days == 10 and study != dt.date(2024, 2, 29)
    assert doc["clinical"]["vitals"][0]["time_utc"][10:] == CLINICAL_TIME[10:]
    audit = [json.loads(line) for line in files["audit.jsonl"].decode().splitlines()]
    assert [e["action"] for e in audit] == ["import", "segment", "clinical", "export"]
    assert {e["user"] for e in audit} == {audit[0]["user"]} and audit[0]["user"].startswith("user-")
    headers = json.loads(files[doc["artifacts"]["dicom_headers"]["path"]])
    assert headers["series_uid"] == doc["image"]["series_uid"]
    assert all(h["00100010"]["Value"][0]["Alphabetic"] == "ANONYMOUS"
               for h in headers["headers"])
    # it imports, and the source case logged the export without being changed
    dest = tmp_path / "copy.twin"
    r = run_cli("import-bundle", out, dest, "--json")
    assert r.code == 0, r.err
    assert r.json["deidentified"] is True
    with Case.open(path, write=False) as case:
        last = case.audit_entries()[-1]
        assert last["action"] == "export" and last["params"]["deidentified"] is True
        assert case.doc["patient"]["name"] == PHI["PatientName"]


def test_deidentified_case_keeps_its_key(tmp_path, run_cli):
    path = make_case(tmp_path, deidentify=True)
    out = tmp_path / "anon.twinbundle"
    r = run_cli("export", path, out, "--what", "bundle", "--deidentify", "--json")
    assert r.code == 0, r.err
    assert r.json["deidentification_key"] == "case"
    files = _bundle_files(out)
    doc = json.loads(files["case.json"])
    with Case.open(path, write=False) as case:
        for block in ("patient", "study", "image"):
            assert doc[block] == case.doc[block]  # already de-identified: not twice
        assert doc["deid"]["pseudonym"] == case.doc["deid"]["pseudonym"]
        headers_rec = case.artifact("dicom_headers")
        assert doc["artifacts"]["dicom_headers"]["sha256"] == headers_rec["sha256"]
    for name, data in files.items():
        for value in _forbidden(tmp_path, files):
            assert not _leaked(data, value), (name, value)


def test_deidentify_needs_a_bundle(tmp_path, run_cli):
    path = make_case(tmp_path, labels=False)
    r = run_cli("export", path, tmp_path / "v.nii.gz", "--what", "volume", "--deidentify")
    assert r.code == 2 and "--deidentify applies to --what bundle only" in r.err


def test_encrypted_deidentified_bundle_round_trip(tmp_path, run_cli):
    pytest.importorskip("cryptography")
    path = make_case(tmp_path, labels=False)
    pw = tmp_path / "pw.txt"
    pw.write_text("correct horse battery\n")
    out = tmp_path / "anon.sealed"
    r = run_cli("export", path, out, "--what", "bundle", "--deidentify", "--encrypt",
                "--password-file", pw, "--json")
    assert r.code == 0, r.err and r.json["sealed"] is True
    assert b"Johnathan" not in out.read_bytes()
    r = run_cli("import-bundle", out, tmp_path / "copy.twin", "--password-file", pw, "--json")
    assert r.code == 0, r.err
    assert r.json["patient"]["name"] == "ANONYMOUS"


def test_version_snapshots_deidentified_and_raw_clinical_files_withheld(tmp_path, run_cli):
    from twindesk.model.versions import record_version

    path = make_case(tmp_path)
    raw_csv = f"time_utc,sbp_mmhg\n{CLINICAL_TIME},128\n# {PHI['PatientName']}\n".encode()
    with Case.open(path) as case:
        case.put_bytes("clinical:src1", raw_csv, ".csv", "clinical-source")
        record_version(case, "clinical-data", "vitals attached", {})
        case.save("twin-add", {})
        snapshots = [n for n in case.doc["artifacts"] if n.startswith("twin:state:")]
        assert len(snapshots) >= 2
        assert PHI["PatientName"].encode() in case.artifact_path(snapshots[-1]).read_bytes()
    out = tmp_path / "anon.twinbundle"
    r = run_cli("export", path, out, "--what", "bundle", "--deidentify", "--json")
    assert r.code == 0, r.err
    files = _bundle_files(out)
    for name, data in files.items():
        for value in _forbidden(tmp_path, files):
            assert not _leaked(data, value), (name, value)
    doc = json.loads(files["case.json"])
    assert "clinical:src1" not in doc["artifacts"]
    assert json.loads(files["manifest.json"])["deidentification"]["withheld"] == [
        "clinical-source"]
    # every snapshot still points at files that are in the bundle (revert keeps working)
    for name in snapshots:
        state = json.loads(files[doc["artifacts"][name]["path"]])
        assert state["patient"]["name"] == "ANONYMOUS"
        for rec in state["artifacts"].values():
            assert rec["path"] in files and rec.get("kind") != "clinical-source"
    dest = tmp_path / "imported.twin"
    assert run_cli("import-bundle", out, dest).code == 0
