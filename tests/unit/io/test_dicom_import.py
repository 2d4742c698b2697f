"""Importing series: voxels and geometry against SimpleITK and analytic fields."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import SimpleITK as sitk
from dicom_factory import (arrays, compress, linear_hu, physical_points, read_with_sitk,
                           rotation, truncate, volume, write_ct, write_enhanced_ct, write_planes)

from twindesk.errors import Cancelled, DicomError
from twindesk.jobs import CancelToken
from twindesk.model.case import Case
from twindesk.model.ingest import import_source


def _case_image(case_path):
    with Case.open(case_path, write=False) as case:
        return case.image(), dict(case.doc)


def _assert_same_geometry(a, b, tol=1e-6):
    assert a.GetSize() == b.GetSize()
    np.testing.assert_allclose(a.GetSpacing(), b.GetSpacing(), atol=tol)
    np.testing.assert_allclose(a.GetOrigin(), b.GetOrigin(), atol=tol)
    np.testing.assert_allclose(a.GetDirection(), b.GetDirection(), atol=tol)


@pytest.mark.parametrize("direction", [None, rotation(0, 25.0), rotation(2, -40.0)])
def test_clean_series_equals_simpleitk(tmp_path, run_cli, direction):
    folder = tmp_path / "dicom"
    write_ct(volume(direction=direction), folder)
    r = run_cli("import", folder, tmp_path / "c.twin", "--json")
    assert r.code == 0, r.err
    ours, doc = _case_image(tmp_path / "c.twin")
    ref = read_with_sitk(folder)
    _assert_same_geometry(ours, ref)
    np.testing.assert_array_equal(arrays(ours), arrays(ref))
    assert r.json["image"]["size"] == [32, 32, 20]
    assert r.json["series_uid"] == doc["image"]["series_uid"]
    assert doc["image"]["resampled"] is False


def test_random_file_order_and_names_change_nothing(tmp_path):
    image = volume()
    write_ct(image, tmp_path / "a")
    files = sorted((tmp_path / "a").iterdir())
    rng = np.random.default_rng(3)
    (tmp_path / "b").mkdir()
    for k, i in enumerate(rng.permutation(len(files))):
        shutil.copy(files[i], tmp_path / "b" / f"{k:03d}_{rng.integers(1e6)}")
    import_source(tmp_path / "b", tmp_path / "c.twin").close()
    ours, doc = _case_image(tmp_path / "c.twin")
    np.testing.assert_array_equal(arrays(ours), arrays(image))
    _assert_same_geometry(ours, image)
    assert not any("InstanceNumber" in w for w in doc["warnings"])


def test_instance_numbers_that_contradict_positions_are_ignored_with_a_warning(tmp_path):
    image = volume()
    write_ct(image, tmp_path / "d", per_slice={"InstanceNumber": list(
        np.random.default_rng(1).permutation(20) + 1)})
    import_source(tmp_path / "d", tmp_path / "c.twin").close()
    ours, doc = _case_image(tmp_path / "c.twin")
    np.testing.assert_array_equal(arrays(ours), arrays(image))
    assert any("InstanceNumber does not follow" in w for w in doc["warnings"])


@pytest.mark.parametrize("tilt_deg", [12.0, -20.0])
def test_gantry_tilt_is_resampled_onto_an_orthogonal_grid(tmp_path, tilt_deg):
    """Tilted planes: rows along x, columns tilted about x, origins stepping along z."""
    t = np.radians(tilt_deg)
    col = (0.0, np.cos(t), np.sin(t))
    positions = [(-8.0, -6.0, 100.0 + 1.25 * k) for k in range(16)]
    write_planes(tmp_path / "d", positions, col=col)
    import_source(tmp_path / "d", tmp_path / "c.twin").close()
    ours, doc = _case_image(tmp_path / "c.twin")
    warning = next(w for w in doc["warnings"] if "gantry tilt" in w)
    assert f"{abs(tilt_deg):.2f} degrees" in warning
    direction = np.asarray(ours.GetDirection()).reshape(3, 3)
    np.testing.assert_allclose(direction.T @ direction, np.eye(3), atol=1e-9)
    np.testing.assert_allclose(direction[:, 1], col, atol=1e-9)
    assert ours.GetSpacing()[2] == pytest.approx(1.25 * np.cos(t), rel=1e-6)
    assert doc["image"]["resampled"] is True
    # the grid is widened (on the first plane's pixel lattice) to hold every plane
    slide_mm = 15 * 1.25 * np.sin(t)
    start_rows = int(np.floor(min(0.0, slide_mm) / 0.8 + 1e-6))
    assert ours.GetSize()[:2] == (24, 20 + int(np.ceil(max(0.0, slide_mm) / 0.8 - 1e-6))
                                  - start_rows)
    # output slice k coincides with plane k, whose origin is shifted 1.25 k sin(t) mm along
    # the columns: every voxel that reads inside that plane equals the analytic field
    values, truth = arrays(ours).astype(float), linear_hu(physical_points(ours))
    k, j = np.meshgrid(np.arange(16), np.arange(ours.GetSize()[1]), indexing="ij")
    source_row = j + start_rows - k * 1.25 * np.sin(t) / 0.8
    inside = (source_row >= 0) & (source_row <= 19)
    assert np.abs(values - truth)[inside].max() <= 1.0
    assert np.abs(values - truth)[~inside].max() > 10  # outside: padding, not data
    # no acquired row was lost: each plane's 20 rows lie inside the grid
    assert all(np.count_nonzero(inside[kk]) >= 19 for kk in range(16))


def test_missing_slice_is_named_and_interpolated(tmp_path):
    positions = [(0.0, 0.0, 50.0 + 0.5 * k) for k in range(12)]
    paths = write_planes(tmp_path / "d", positions)
    paths[5].unlink()
    import_source(tmp_path / "d", tmp_path / "c.twin").close()
    ours, doc = _case_image(tmp_path / "c.twin")
    warning = next(w for w in doc["warnings"] if "missing slice" in w)
    assert "IM00005.dcm" in warning and "IM00007.dcm" in warning
    assert ours.GetSize()[2] == 12 and ours.GetSpacing()[2] == pytest.approx(0.5)
    assert np.abs(arrays(ours) - linear_hu(physical_points(ours))).max() <= 1.0


def test_uneven_spacing_is_resampled_to_the_median_step(tmp_path):
    z = np.cumsum([0, 1.0, 1.0, 1.0, 1.3, 1.0, 1.0, 0.7, 1.0, 1.0])
    write_planes(tmp_path / "d", [(0.0, 0.0, 20.0 + v) for v in z])
    import_source(tmp_path / "d", tmp_path / "c.twin").close()
    ours, doc = _case_image(tmp_path / "c.twin")
    assert any("uneven slice spacing" in w and "1.3 mm" in w for w in doc["warnings"])
    assert ours.GetSpacing()[2] == pytest.approx(1.0)
    assert np.abs(arrays(ours) - linear_hu(physical_points(ours))).max() <= 1.0


def test_duplicates_keep_one_and_warn(tmp_path):
    image = volume()
    paths = write_ct(image, tmp_path / "d")
    shutil.copy(paths[3], tmp_path / "d" / "copy_of_4.dcm")  # same SOPInstanceUID
    other = write_ct(volume(shape=(1, 32, 32), origin=image.TransformIndexToPhysicalPoint(
        (0, 0, 7)), seed=9), tmp_path / "x", series_uid=_series_uid(paths[0]))
    shutil.move(other[0], tmp_path / "d" / "same_position.dcm")  # new UID, occupied place
    import_source(tmp_path / "d", tmp_path / "c.twin").close()
    ours, doc = _case_image(tmp_path / "c.twin")
    assert any("duplicate instance" in w and "copy_of_4.dcm" in w for w in doc["warnings"])
    assert any("already occupied position" in w and "same_position.dcm" in w
               for w in doc["warnings"])
    assert ours.GetSize() == image.GetSize()


def _series_uid(path):
    import pydicom

    return pydicom.dcmread(path, stop_before_pixels=True).SeriesInstanceUID


def test_truncated_slice_is_named_left_out_and_interpolated(tmp_path, run_cli):
    positions = [(0.0, 0.0, 10.0 + 0.6 * k) for k in range(10)]
    paths = write_planes(tmp_path / "d", positions)
    truncate(paths[4], 0.7)
    scan = run_cli("scan", tmp_path / "d", "--json")
    assert any(s["file"] == "IM00005.dcm" and "truncated" in s["reason"]
               for s in scan.json["skipped"])
    r = run_cli("import", tmp_path / "d", tmp_path / "c.twin", "--json")
    assert r.code == 0, r.err
    assert any(w.startswith("IM00005.dcm: ") and "left out" in w for w in r.json["warnings"])
    ours, _ = _case_image(tmp_path / "c.twin")
    assert ours.GetSize()[2] == 10
    assert np.abs(arrays(ours) - linear_hu(physical_points(ours))).max() <= 1.0


def test_undecodable_slice_is_named_and_left_out(tmp_path):
    """Complete file, damaged RLE stream: found when GDCM decodes, named, interpolated."""
    import struct

    from twindesk.io.dicom.header import read_header

    positions = [(0.0, 0.0, 10.0 + 0.6 * k) for k in range(8)]
    paths = write_planes(tmp_path / "d", positions)
    compress(paths, "1.2.840.10008.1.2.5")
    pixel = read_header(paths[3]).pixel
    data = bytearray(paths[3].read_bytes())
    bot_length = struct.unpack_from("<I", data, pixel.offset + 4)[0]
    rle_header = pixel.offset + 8 + bot_length + 8
    data[rle_header:rle_header + 8] = struct.pack("<II", 9, 10**8)  # 9 segments, bad offset
    paths[3].write_bytes(bytes(data))
    import_source(tmp_path / "d", tmp_path / "c.twin").close()
    ours, doc = _case_image(tmp_path / "c.twin")
    assert any(w.startswith("IM00004.dcm: cannot be decoded") for w in doc["warnings"])
    assert any("missing slice" in w and "IM00003.dcm" in w for w in doc["warnings"])
    assert ours.GetSize()[2] == 8
    assert np.abs(arrays(ours) - linear_hu(physical_points(ours))).max() <= 1.0


@pytest.mark.parametrize("syntax", ["1.2.840.10008.1.2.5", "1.2.840.10008.1.2.4.80",
                                    "1.2.840.10008.1.2.4.90"])
def test_compressed_series_equal_uncompressed(tmp_path, syntax):
    image = volume(shape=(6, 32, 32))
    paths = write_ct(image, tmp_path / "d")
    try:
        compress(paths, syntax)
    except RuntimeError as exc:  # an encoder plug-in missing from this environment
        pytest.skip(f"pydicom cannot encode {syntax}: {exc}")
    import_source(tmp_path / "d", tmp_path / "c.twin").close()
    ours, doc = _case_image(tmp_path / "c.twin")
    np.testing.assert_array_equal(arrays(ours), arrays(image))
    assert doc["source"]["transfer_syntaxes"][0] != "Explicit VR Little Endian"


def test_enhanced_multiframe_file(tmp_path, run_cli):
    image = volume(direction=rotation(1, 15.0))
    path = write_enhanced_ct(image, tmp_path / "d" / "enhanced.dcm")
    scan = run_cli("scan", tmp_path / "d", "--json").json
    assert scan["series"][0]["multiframe"] and scan["series"][0]["n_files"] == 1
    r = run_cli("import", path, tmp_path / "c.twin", "--json")
    assert r.code == 0, r.err
    ours, _ = _case_image(tmp_path / "c.twin")
    np.testing.assert_array_equal(arrays(ours), arrays(image))
    _assert_same_geometry(ours, image)


def test_enhanced_frames_out_of_order_are_sorted(tmp_path):
    image = volume(shape=(8, 16, 16))
    order = [3, 0, 7, 1, 6, 2, 5, 4]
    shuffled = sitk.JoinSeries([image[:, :, k] for k in order])
    path = write_enhanced_ct(shuffled, tmp_path / "enh.dcm")
    # positions follow the shuffled stack: rewrite them to the true ones
    import pydicom

    ds = pydicom.dcmread(path)
    for item, k in zip(ds.PerFrameFunctionalGroupsSequence, order, strict=True):
        item.PlanePositionSequence[0].ImagePositionPatient = list(
            image.TransformIndexToPhysicalPoint((0, 0, k)))
    ds.save_as(path, enforce_file_format=True)
    import_source(path, tmp_path / "c.twin").close()
    ours, _ = _case_image(tmp_path / "c.twin")
    np.testing.assert_array_equal(arrays(ours), arrays(image))


def test_volume_file_import_keeps_geometry(tmp_path, run_cli):
    image = volume(direction=rotation(2, 30.0))
    sitk.WriteImage(image, str(tmp_path / "v.nii.gz"))
    r = run_cli("import", tmp_path / "v.nii.gz", tmp_path / "c.twin", "--json")
    assert r.code == 0, r.err
    ours, doc = _case_image(tmp_path / "c.twin")
    np.testing.assert_array_equal(arrays(ours), arrays(image))
    _assert_same_geometry(ours, image, tol=1e-5)
    assert doc["source"]["kind"] == "volume" and r.json["series_uid"] is None


def test_volume_file_that_is_not_one_3d_volume_is_refused(tmp_path, run_cli):
    series = sitk.JoinSeries([volume(shape=(4, 8, 8)), volume(shape=(4, 8, 8), seed=2)])
    sitk.WriteImage(series, str(tmp_path / "cine.nii"))
    r = run_cli("import", tmp_path / "cine.nii", tmp_path / "c.twin")
    assert r.code == 2 and "cine.nii: a 4D image" in r.err and not (tmp_path / "c.twin").exists()
    sitk.WriteImage(volume(), str(tmp_path / "v.mha"))
    r = run_cli("import", tmp_path / "v.mha", tmp_path / "c.twin", "--phase", "40")
    assert r.code == 2 and "--series and --phase apply to DICOM sources only" in r.err
    r = run_cli("scan", tmp_path, "--json")
    assert {s["reason"] for s in r.json["skipped"]} == {
        "a volume file, not DICOM (import it on its own: twindesk import FILE CASE)"}


@pytest.mark.parametrize("phase", ["-5", "100", "250"])
def test_phase_out_of_range_is_refused(tmp_path, run_cli, phase):
    write_ct(volume(shape=(3, 8, 8)), tmp_path / "d")
    r = run_cli("import", tmp_path / "d", tmp_path / "c.twin", f"--phase={phase}")
    assert r.code == 2 and "percentage of the R-R interval" in r.err


def test_cancelled_import_leaves_no_case_folder(tmp_path, capfd):
    write_ct(volume(), tmp_path / "d")
    token = CancelToken()

    def progress(fraction, message=""):
        if fraction > 0.3:
            token.cancel()

    with pytest.raises(Cancelled):
        import_source(tmp_path / "d", tmp_path / "c.twin", progress=progress, cancel=token)
    assert not (tmp_path / "c.twin").exists()
    assert "Traceback" not in capfd.readouterr().err  # the pixel reader was aborted cleanly


def test_failed_import_into_an_existing_empty_folder_leaves_it_empty(tmp_path):
    (tmp_path / "c.twin").mkdir()
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "a.txt").write_text("not dicom")
    with pytest.raises(DicomError, match="no DICOM image series"):
        import_source(tmp_path / "junk", tmp_path / "c.twin")
    assert (tmp_path / "c.twin").is_dir() and not any((tmp_path / "c.twin").iterdir())


@pytest.mark.realdata
def test_real_cta_imports_like_simpleitk(tmp_path, run_cli, cta_dicom_dir):
    r = run_cli("import", cta_dicom_dir, tmp_path / "cta.twin", "--json")
    assert r.code == 0, r.err
    ours, doc = _case_image(tmp_path / "cta.twin")
    ref = read_with_sitk(cta_dicom_dir)
    _assert_same_geometry(ours, ref)
    np.testing.assert_array_equal(arrays(ours), arrays(ref))
    assert r.json["image"]["size"] == [233, 167, 191]
    np.testing.assert_allclose(r.json["image"]["origin_lps_mm"],
                               [-179.658203, -275.158203, 540.200012], atol=1e-5)
    assert any("not ECG-gated" in w for w in r.json["warnings"])
    assert any("1.5 mm thick" in w for w in r.json["warnings"])
    # the folder's README: the series holds exactly the voxels of the original NIfTI
    nifti = sitk.ReadImage(str(cta_dicom_dir.parent / "example_ct.nii.gz"))
    np.testing.assert_array_equal(arrays(ours), arrays(nifti))
    _assert_same_geometry(ours, nifti, tol=1e-5)


def test_import_command_stays_off_heavy_modules(tmp_path):
    """Start-up time is most of a small import: no VTK, PyVista, Qt, SciPy or pydicom on
    the path of a clean ASCII series (pydicom decodes non-ASCII text, SciPy resamples)."""
    import subprocess
    import sys

    write_ct(volume(shape=(4, 8, 8)), tmp_path / "d")
    code = ("import sys; from twindesk.cli import main; "
            f"assert main(['import', {str(tmp_path / 'd')!r}, {str(tmp_path / 'c.twin')!r}, "
            "'--json']) == 0; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'vtk', 'vtkmodules', 'pyvista', 'PySide6', 'scipy', 'pydicom'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip().splitlines()[-1]
    assert out == "[]"


@pytest.mark.parametrize("position", ["FFS", None])
def test_patient_position_is_stored_when_present(tmp_path, position):
    """Fluoroscopy planning reads ``image.patient_position`` and says when it assumed HFS."""
    from dicom_factory import set_tags

    files = write_ct(volume(), tmp_path / "dicom")
    set_tags(files, PatientPosition=position)
    for deid in (False, True):
        case_path = tmp_path / f"c{int(deid)}.twin"
        import_source(tmp_path / "dicom", case_path, deidentify=deid).close()
        _, doc = _case_image(case_path)
        assert doc["image"].get("patient_position") == position
