"""De-identification (PS3.15 basic profile, modified dates): nothing identifying is stored,
and one key gives consistent UIDs and dates."""

from __future__ import annotations

import datetime as dt
import json

import pydicom
import pytest
from dicom_factory import volume, write_ct, write_enhanced_ct

from twindesk.io.dicom.deid import Deidentifier
from twindesk.io.dicom.deid_table import ACTIONS, PATIENT_CHARACTERISTICS, SHIFTED_DATES
from twindesk.model.case import Case

PHI = {"PatientName": "Doe^Johnathan", "PatientID": "PID-83921", "PatientBirthDate": "19480317",
       "InstitutionName": "St Elsewhere Heart Centre", "ReferringPhysicianName": "House^Gregory",
       "AccessionNumber": "ACC-55102", "StudyDescription": "CTA for Doe TAVR work-up",
       "OperatorsName": "Tech^Tina", "StationName": "SCANNER-7", "ImageComments": "Doe, room 12",
       "PatientAge": "076Y", "PatientSex": "M", "DeviceSerialNumber": "SN-998877"}
STUDY_DATE = "20240229"


def _phi_series(folder):
    extra = {k: v for k, v in PHI.items() if k not in ("PatientName", "PatientID")}
    extra.update({"SeriesDate": "20240301", "AcquisitionDate": STUDY_DATE})
    return write_ct(volume(shape=(4, 16, 16)), folder, patient_name=PHI["PatientName"],
                    patient_id=PHI["PatientID"], study_date=STUDY_DATE,
                    series_description="Doe 75% cardiac", extra=extra)


def _originals(path):
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    return [str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID), str(ds.SOPInstanceUID),
            str(ds.FrameOfReferenceUID)]


def test_import_stores_no_phi(tmp_path, run_cli):
    folder = tmp_path / "Doe_Johnathan_PID-83921"
    paths = _phi_series(folder)
    paths[1].unlink()  # a gap, so a warning names files
    r = run_cli("import", folder, tmp_path / "c.twin", "--deidentify", "--json")
    assert r.code == 0, r.err
    stored = "\n".join(p.read_text("utf-8", errors="replace") if p.suffix != ".mha" else
                       p.read_bytes()[:2000].decode("latin-1")
                       for p in (tmp_path / "c.twin").rglob("*") if p.is_file())
    stored += r.out
    for value in list(PHI.values()) + _originals(paths[0]) + ["Johnathan", "Doe", "PID-83921",
                                                             STUDY_DATE, "20240301",
                                                             "IM00001"]:
        if value in ("M", "076Y"):
            continue  # too short to search; checked below
        assert value not in stored, value
    doc = json.loads((tmp_path / "c.twin" / "case.json").read_text("utf-8"))
    assert doc["deidentified"] is True and r.json["deidentified"] is True
    assert doc["patient"]["identity_removed"] == "YES"
    assert "sex" not in doc["patient"] and "age" not in doc["patient"]
    assert "birth_date" not in doc["patient"] and "institution" not in doc["study"]
    assert doc["deid"]["profile"].startswith("DICOM PS3.15")
    assert [c["code"] for c in doc["deid"]["codes"]] == ["113100", "113107"]
    assert any("missing slice" in w and "file " in w for w in doc["warnings"])
    with Case.open(tmp_path / "c.twin", write=False) as case:
        assert case.audit_entries()[-1]["params"]["deidentify"] is True


def test_uids_and_dates_are_consistent_under_the_case_key(tmp_path):
    from twindesk.model.ingest import import_source

    paths = _phi_series(tmp_path / "d")
    study_uid, series_uid, _, frame_uid = _originals(paths[0])
    with import_source(tmp_path / "d", tmp_path / "c.twin", deidentify=True) as case:
        doc = case.doc
    deid = Deidentifier.from_doc(doc["deid"])
    assert doc["study"]["study_uid"] == deid.uid(study_uid)
    assert doc["image"]["series_uid"] == deid.uid(series_uid)
    assert doc["image"]["frame_of_reference_uid"] == deid.uid(frame_uid)
    shift = dt.timedelta(days=doc["deid"]["date_shift_days"])
    assert doc["study"]["date"] == (dt.date(2024, 2, 29) + shift).strftime("%Y%m%d")
    assert doc["image"]["series_date"] == (dt.date(2024, 3, 1) + shift).strftime("%Y%m%d")
    assert doc["patient"]["id"] == deid.pseudonym and doc["patient"]["name"] == "ANONYMOUS"
    # the same key (a follow-up import into this twin) maps identically; another does not
    again = Deidentifier.from_doc(json.loads(json.dumps(doc["deid"])))
    assert again.uid(series_uid) == doc["image"]["series_uid"]
    assert again.date("20240229") == doc["study"]["date"]
    other = Deidentifier.new()
    assert other.uid(series_uid) != doc["image"]["series_uid"]


def test_uid_form():
    deid = Deidentifier(b"k" * 32)
    new = deid.uid("1.2.826.0.1.3680043.8.498.1")
    assert new.startswith("2.25.") and len(new) <= 64 and new.replace(".", "").isdigit()
    assert deid.uid("1.2.840.10008.5.1.4.1.1.2") == "1.2.840.10008.5.1.4.1.1.2"  # a class UID
    assert deid.date("not a date") == "" and deid.date("20240229120000.5") .endswith("120000.5")


def test_dataset_deidentification(tmp_path):
    paths = _phi_series(tmp_path / "d")
    ds = pydicom.dcmread(paths[0])
    ds.add_new(0x00091001, "LO", "private vendor note about Doe")
    ds.OtherPatientIDs = "OLD-ID-1"
    ds.add_new(0x60003000, "OW", b"\0\0")  # overlay data
    ds.add_new(0x00100099, "UN", b"Doe Johnathan")  # public but unknown to the dictionary
    originals = _originals(paths[0])
    deid = Deidentifier(b"s" * 32)
    deid.apply_to_dataset(ds)
    text = str(ds) + str(ds.file_meta)
    for value in list(PHI.values()) + originals + ["private vendor note", "OLD-ID-1"]:
        if value in ("M", "076Y"):
            continue
        assert value not in text, value
    assert "PatientAge" not in ds and ds.PatientSex == ""
    assert ds.SOPInstanceUID == deid.uid(originals[2])
    assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
    assert ds.StudyDate == deid.date(STUDY_DATE) and ds.PatientIdentityRemoved == "YES"
    assert [i.CodeValue for i in ds.DeidentificationMethodCodeSequence] == ["113100", "113107"]
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.2"
    assert 0x60003000 not in ds and 0x00091001 not in ds and 0x00100099 not in ds


def test_enhanced_dataset_sequences_are_cleaned(tmp_path):
    path = write_enhanced_ct(volume(shape=(3, 8, 8)), tmp_path / "e.dcm",
                             patient_name="Roe^Richard")
    ds = pydicom.dcmread(path)
    ref_uid = pydicom.uid.generate_uid()
    item = pydicom.Dataset()
    item.ReferencedSOPInstanceUID = ref_uid
    item.ReferencedSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ds.SharedFunctionalGroupsSequence[0].DerivationImageSequence = pydicom.Sequence([item])
    deid = Deidentifier.new(retain_patient_characteristics=True)
    deid.apply_to_dataset(ds)
    ref = ds.SharedFunctionalGroupsSequence[0].DerivationImageSequence[0]
    assert ref.ReferencedSOPInstanceUID == deid.uid(ref_uid)
    assert ref.ReferencedSOPClassUID == "1.2.840.10008.5.1.4.1.1.2"
    assert "Roe" not in str(ds) and "113108" in str(ds.DeidentificationMethodCodeSequence)


def test_table_keywords_exist_in_the_dicom_dictionary():
    from pydicom.datadict import tag_for_keyword

    unknown = [k for k in (*ACTIONS, *SHIFTED_DATES, *PATIENT_CHARACTERISTICS)
               if tag_for_keyword(k) is None]
    assert unknown == []
    assert set(ACTIONS.values()) <= {"X", "Z", "U", "D", "K"}


@pytest.mark.parametrize("value", ["", "2024", "20241399"])
def test_bad_dates_become_empty(value):
    assert Deidentifier(b"x" * 32).date(value) == ""
