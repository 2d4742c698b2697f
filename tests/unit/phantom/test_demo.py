"""The demo as written to disk: DICOM series, label map, truth, case; the CLI command.

Uses the session fixture ``demo_phantom`` (default resolution, 0.7 mm).
"""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
import SimpleITK as sitk

from twindesk.phantom.layers import LABELS


def read_series(folder):
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(folder)))
    return reader.Execute()


@pytest.fixture(scope="module")
def volumes(demo_phantom):
    img = read_series(demo_phantom.dicom_dir)
    lab = sitk.ReadImage(str(demo_phantom.labels_path))
    return img, sitk.GetArrayFromImage(img), sitk.GetArrayFromImage(lab), lab


def test_series_reads_back_to_the_case_volume_and_truth_geometry(demo_phantom, volumes):
    from twindesk.model.case import Case

    img, arr, _, lab = volumes
    geo = demo_phantom.truth["image"]
    assert list(img.GetSize()) == geo["size"]
    assert np.allclose(img.GetSpacing(), geo["spacing_mm"], atol=1e-6)
    assert np.allclose(img.GetOrigin(), geo["origin_lps_mm"], atol=1e-4)
    assert np.allclose(img.GetDirection(), geo["direction"])
    assert list(lab.GetSize()) == geo["size"]
    assert np.allclose(lab.GetOrigin(), img.GetOrigin()) and lab.GetSpacing() == img.GetSpacing()
    with Case.open(demo_phantom.case_path, write=False) as case:
        stored = case.image()
        assert np.array_equal(sitk.GetArrayFromImage(stored), arr)
        assert np.allclose(stored.GetOrigin(), img.GetOrigin())
        image_doc = case.doc["image"]
        assert image_doc["gated"] and image_doc["phase_percent"] == pytest.approx(35.0)
        assert case.doc["warnings"] == []
    assert 0.6 <= geo["spacing_mm"][0] <= 0.8


def test_dicom_tags_describe_a_gated_cardiac_ct(demo_phantom):
    import pydicom

    files = sorted(demo_phantom.dicom_dir.glob("*.dcm"))
    assert len(files) == demo_phantom.truth["image"]["size"][2]
    ds = pydicom.dcmread(files[0])
    assert ds.Modality == "CT" and ds.NominalPercentageOfCardiacPhase == 35.0
    assert float(ds.TriggerTime) == pytest.approx(demo_phantom.truth["image"]["trigger_time_ms"],
                                                  abs=1e-3)
    assert "phantom" in ds.SeriesDescription.lower()


def test_write_series_round_trip_is_exact(tmp_path):
    """Independent of the demo: a coarse phantom written and read back voxel for voxel."""
    from twindesk.io.dicom.write import write_series
    from twindesk.phantom import generate
    from twindesk.phantom.params import PhantomParams

    ph = generate.run(PhantomParams().with_voxel(2.5))
    write_series(ph.image(), tmp_path / "s")
    back = read_series(tmp_path / "s")
    assert np.array_equal(sitk.GetArrayFromImage(back), ph.hu)
    assert np.allclose(back.GetOrigin(), ph.grid.origin_lps_mm, atol=1e-4)
    assert np.allclose(back.GetSpacing(), [2.5] * 3)


def test_calcium_is_brighter_than_800_hu(demo_phantom, volumes):
    img, arr, labels, _ = volumes
    for nod in demo_phantom.truth["calcium"]["nodules"]:
        idx = np.round(np.array(img.TransformPhysicalPointToContinuousIndex(
            nod["center_lps_mm"]))).astype(int)
        r = int(np.ceil(nod["radius_mm"] / 0.7))
        i, j, k = idx
        block = arr[k - r:k + r + 1, j - r:j + r + 1, i - r:i + r + 1]
        assert block.max() > 800, nod
    assert (labels == LABELS["calcium"]).sum() * 0.7**3 == pytest.approx(
        demo_phantom.truth["calcium"]["total_volume_mm3"], rel=0.2)


def test_hu_per_label_at_full_resolution(volumes):
    from scipy.ndimage import binary_erosion

    _, arr, labels, _ = volumes
    for name, hu in (("aorta", 350), ("lv", 350), ("la", 350), ("myocardium", 100),
                     ("right_heart", 200)):
        inside = binary_erosion(labels == LABELS[name], iterations=2)
        assert arr[inside].mean() == pytest.approx(hu, abs=5), name
        assert arr[inside].std() == pytest.approx(25.0, abs=3), name


def plane_image(arr, img, center, u, v, half_mm, step_mm):
    from scipy.ndimage import map_coordinates

    a = np.arange(-half_mm, half_mm + 1e-9, step_mm)
    A, B = np.meshgrid(a, a)
    pts = center + A[..., None] * u + B[..., None] * v
    origin, h = np.array(img.GetOrigin()), img.GetSpacing()[0]
    idx = (pts - origin) / h
    return map_coordinates(arr.astype(np.float32), [idx[..., 2], idx[..., 1], idx[..., 0]],
                           order=1)


def test_image_annulus_matches_the_truth(demo_phantom, volumes):
    """The lumen in the annulus plane of the CT (half-way threshold) has the truth's area."""
    from scipy.ndimage import label as components

    img, arr, _, _ = volumes
    t = demo_phantom.truth
    for key in ("annulus", "lvot"):
        sec = t[key]
        c = np.array(sec["center_lps_mm"])
        u, v = (np.array(t["annulus"][k]) for k in ("major_axis_lps", "minor_axis_lps"))
        step = 0.1
        plane = plane_image(arr, img, c, u, v, 20.0, step)
        lumen, _ = components(plane > 225.0)              # half-way from tissue to blood
        mid = plane.shape[0] // 2
        area = (lumen == lumen[mid, mid]).sum() * step**2
        assert area == pytest.approx(sec["area_mm2"], rel=0.04), key


def test_coronary_lower_edges_in_the_label_map(demo_phantom, volumes):
    """The lowest coronary voxel touching the aortic lumen sits at the truth height (± 1
    voxel)."""
    from scipy.ndimage import binary_dilation

    img, _, labels, _ = volumes
    t = demo_phantom.truth
    c, n = np.array(t["annulus"]["center_lps_mm"]), np.array(t["annulus"]["normal_lps"])
    touching = (labels == LABELS["coronaries"]) & binary_dilation(labels == LABELS["aorta"])
    k, j, i = np.nonzero(touching)
    origin, h = np.array(img.GetOrigin()), img.GetSpacing()[0]
    pts = origin + h * np.column_stack([i, j, k])
    for side in ("left", "right"):
        o = t["coronary_ostia"][side]
        near = np.linalg.norm(pts - np.array(o["center_lps_mm"]), axis=1) < 6.0
        heights = (pts[near] - c) @ n
        assert heights.min() == pytest.approx(o["lower_edge_height_mm"], abs=h)


def test_rerun_reuses_quickly(demo_phantom):
    from twindesk.phantom.demo import DemoParams, run

    t0 = time.monotonic()
    result = run(DemoParams(demo_phantom.dir))
    assert result.reused and time.monotonic() - t0 < 5.0
    assert result.case_path == demo_phantom.case_path


def test_demo_command_json_and_print_path(demo_phantom, run_cli, capsys):
    r = run_cli("demo", demo_phantom.dir, "--json")
    assert r.code == 0, r.err
    assert r.json["reused"] is True and r.json["case"] == str(demo_phantom.case_path)
    assert r.json["summary"]["left_coronary_height_mm"] == pytest.approx(13.0)
    r = run_cli("demo", demo_phantom.dir, "--print-path")
    assert r.code == 0 and r.out == f"{demo_phantom.case_path}\n"
    r = run_cli("info", demo_phantom.case_path, "--json")
    assert r.code == 0 and r.json["image"]["modality"] == "CT"


def test_demo_command_refuses_bad_input(tmp_path, run_cli):
    foreign = tmp_path / "mine"
    (foreign / "dicom").mkdir(parents=True)
    (foreign / "dicom" / "patient.dcm").write_bytes(b"not ours")
    r = run_cli("demo", foreign, "--voxel-mm", "2.0")
    assert r.code == 2 and "not written by 'twindesk demo'" in r.err
    assert (foreign / "dicom" / "patient.dcm").read_bytes() == b"not ours"
    r = run_cli("demo", tmp_path / "x", "--voxel-mm", "5")
    assert r.code == 2 and "--voxel-mm" in r.err
    r = run_cli("demo", tmp_path / "x", "--json", "--print-path")
    assert r.code == 2


def test_truth_file_matches_its_schema(demo_phantom):
    from twindesk.schemas import validate

    truth = json.loads(demo_phantom.truth_path.read_text(encoding="utf-8"))
    validate("phantom_truth", truth)
    assert truth["label_volumes_ml"]["lv"] > 80


def test_an_open_demo_case_is_not_replaced(tmp_path, monkeypatch):
    """A rebuild (here forced by a stale version) refuses while the old case is open."""
    from twindesk.errors import InputError
    from twindesk.model.case import Case
    from twindesk.phantom import demo

    folder = tmp_path / "d"
    (folder / demo.CASE_NAME).parent.mkdir(parents=True)
    case = Case.create(folder / demo.CASE_NAME)
    case.save("create", {})
    (folder / demo.TRUTH_NAME).write_text('{"generator": "twindesk.phantom", '
                                          '"generator_version": "0"}', encoding="utf-8")
    called = []
    monkeypatch.setattr("twindesk.phantom.generate.run", lambda *a, **k: called.append(1))
    with case:
        with pytest.raises(InputError, match="cannot be replaced"):
            demo.run(demo.DemoParams(folder))
    assert not called and (folder / demo.CASE_NAME / "case.json").is_file()
