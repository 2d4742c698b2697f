"""DICOM SEG export: references the source series, codes each structure, dciodvfy clean,
masks survive voxel for voxel."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pydicom
import pytest
from interop_factory import BOXES, PHI, SHAPE_ZYX, make_case, voxels

from twindesk.model.case import Case

CODES = {"aorta": "15825003", "lv": "87878005", "la": "82471001", "bloodpool": "87612001"}


def dciodvfy_errors(path) -> list[str]:
    if shutil.which("dciodvfy") is None:
        pytest.skip("dciodvfy (Debian dicom3tools) is not installed")
    run = subprocess.run(["dciodvfy", str(path)], capture_output=True, text=True, timeout=60)
    lines = (run.stdout + run.stderr).splitlines()
    return [line for line in lines if line.startswith("Error")]


def test_import_keeps_source_headers(tmp_path):
    from twindesk.io.dicom.header_store import source_datasets

    path = make_case(tmp_path, labels=False)
    src = sorted((tmp_path / "Doe_Johnathan_PID-83921").glob("*.dcm"))
    with Case.open(path, write=False) as case:
        datasets, doc = source_datasets(case)
        assert doc["regular"] is True and len(datasets) == SHAPE_ZYX[0] == len(doc["frames"])
        assert doc["series_uid"] == case.doc["image"]["series_uid"]
        for k, (file_index, frame) in enumerate(doc["frames"]):
            ds = datasets[file_index]
            assert frame == 0 and "PixelData" not in ds
            z = case.image().TransformIndexToPhysicalPoint((0, 0, k))[2]
            assert float(ds.ImagePositionPatient[2]) == pytest.approx(z, abs=1e-6)
        orig = {pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID for p in src}
        assert {d.SOPInstanceUID for d in datasets} == orig


def test_seg_export_round_trip(tmp_path, run_cli):
    import highdicom as hd

    path = make_case(tmp_path)
    out = tmp_path / "seg.dcm"
    r = run_cli("export", path, out, "--what", "seg", "--json")
    assert r.code == 0, r.err
    info = r.json
    assert [s["structure"] for s in info["segments"]] == sorted(BOXES)
    assert {s["structure"]: s["voxels"] for s in info["segments"]} == \
        {n: voxels(n) for n in BOXES}
    assert dciodvfy_errors(out) == []
    ds = pydicom.dcmread(out)
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.66.4"
    assert ds.PatientName == PHI["PatientName"] and ds.PatientID == PHI["PatientID"]
    with Case.open(path, write=False) as case:
        series_uid = case.doc["image"]["series_uid"]
        assert ds.StudyInstanceUID == case.doc["study"]["study_uid"]
        assert ds.FrameOfReferenceUID == case.doc["image"]["frame_of_reference_uid"]
        assert case.audit_entries()[-1]["action"] == "export"
        assert case.audit_entries()[-1]["params"]["what"] == "seg"
    assert ds.ReferencedSeriesSequence[0].SeriesInstanceUID == series_uid
    assert len(ds.ReferencedSeriesSequence[0].ReferencedInstanceSequence) == SHAPE_ZYX[0]
    for item in ds.SegmentSequence:
        name = sorted(BOXES)[item.SegmentNumber - 1]
        assert item.SegmentedPropertyTypeCodeSequence[0].CodeValue == CODES[name]
        assert item.SegmentedPropertyTypeCodeSequence[0].CodingSchemeDesignator == "SCT"
        assert item.SegmentAlgorithmType == "SEMIAUTOMATIC"
    blood = ds.SegmentSequence[1]  # sorted: aorta, bloodpool, la, lv
    assert blood.SegmentedPropertyCategoryCodeSequence[0].CodeValue == "91720002"
    assert blood.AnatomicRegionSequence[0].CodeValue == "80891009"
    # every frame names the CT slice it lies on
    sop_by_z = {round(float(d.ImagePositionPatient[2]), 3): d.SOPInstanceUID for d in
                (pydicom.dcmread(p, stop_before_pixels=True)
                 for p in (tmp_path / "Doe_Johnathan_PID-83921").glob("*.dcm"))}
    for frame in ds.PerFrameFunctionalGroupsSequence:
        z = round(float(frame.PlanePositionSequence[0].ImagePositionPatient[2]), 3)
        ref = frame.DerivationImageSequence[0].SourceImageSequence[0]
        assert ref.ReferencedSOPInstanceUID == sop_by_z[z]
    # masks come back voxel for voxel on the source grid
    seg = hd.seg.segread(out)
    arr = seg.get_pixels_by_source_instance(
        source_sop_instance_uids=[sop_by_z[z] for z in sorted(sop_by_z)],
        ignore_spatial_locations=True)
    assert arr.shape == (*SHAPE_ZYX, 4)
    for i, name in enumerate(sorted(BOXES)):
        expected = np.zeros(SHAPE_ZYX, np.uint8)
        expected[BOXES[name]] = 1
        assert np.array_equal(arr[..., i], expected), name


def test_seg_of_a_deidentified_case_references_the_replacement_uids(tmp_path, run_cli):
    path = make_case(tmp_path, deidentify=True)
    out = tmp_path / "seg.dcm"
    r = run_cli("export", path, out, "--what", "seg:aorta,lv", "--json")
    assert r.code == 0, r.err
    assert [s["snomed_ct"] for s in r.json["segments"]] == ["15825003", "87878005"]
    assert dciodvfy_errors(out) == []
    data = out.read_bytes()
    for value in PHI.values():
        assert value.encode() not in data, value
    ds = pydicom.dcmread(out)
    with Case.open(path, write=False) as case:
        assert ds.ReferencedSeriesSequence[0].SeriesInstanceUID == case.doc["image"]["series_uid"]
        assert ds.PatientID == case.doc["deid"]["pseudonym"]


def test_seg_refusals(tmp_path, run_cli):
    path = make_case(tmp_path, labels=False)
    r = run_cli("export", path, tmp_path / "s.dcm", "--what", "seg")
    assert r.code == 2 and "no segmentation" in r.err
    r = run_cli("export", path, tmp_path / "s.dcm", "--what", "seg:spleen")
    assert r.code == 2 and "no DICOM code" in r.err
    assert not (tmp_path / "s.dcm").exists()


def test_seg_of_a_resampled_series(tmp_path, run_cli):
    """A missing slice makes the import resample; the SEG then carries the case grid's plane
    positions and still references the source series (frames on a source plane name it)."""
    from interop_factory import add_labels, write_phi_series

    from twindesk.model.ingest import import_source

    src = tmp_path / "series"
    paths = write_phi_series(src)
    paths[4].unlink()
    with import_source(src, tmp_path / "c.twin") as case:
        assert case.doc["image"]["resampled"] is True
        add_labels(case, ["aorta", "lv"])
        case.save("segment", {})
        series_uid = case.doc["image"]["series_uid"]
        grid = case.doc["image"]
    out = tmp_path / "seg.dcm"
    r = run_cli("export", tmp_path / "c.twin", out, "--what", "seg", "--json")
    assert r.code == 0, r.err
    assert dciodvfy_errors(out) == []
    ds = pydicom.dcmread(out)
    assert ds.ReferencedSeriesSequence[0].SeriesInstanceUID == series_uid
    assert len(ds.ReferencedSeriesSequence[0].ReferencedInstanceSequence) == len(paths) - 1
    z0, dz = grid["origin_lps_mm"][2], grid["spacing_mm"][2]
    zs = sorted({float(f.PlanePositionSequence[0].ImagePositionPatient[2])
                 for f in ds.PerFrameFunctionalGroupsSequence})
    assert all(abs((z - z0) / dz - round((z - z0) / dz)) < 1e-6 for z in zs)
    assert r.json["segments"][0]["voxels"] == voxels("aorta")
