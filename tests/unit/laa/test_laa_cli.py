"""``twindesk laa``, ``size --laa``, ``place --laa`` and ``import-surface`` on synthetic
atria (JSON outputs are validated against their schemas by the ``run_cli`` fixture)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.laa_synth import SynthLAA
from twindesk.model.case import Case


@pytest.fixture(scope="module")
def synth():
    s = SynthLAA()
    mask, grid = s.mask()
    return s, mask, grid


@pytest.fixture
def la_case(tmp_path, synth):
    import SimpleITK as sitk

    from tests.anatomy_synth import make_case
    from twindesk.imaging.grid import to_image

    s, mask, grid = synth
    image = to_image(np.where(mask, 300, -50).astype(np.int16), grid)
    assert isinstance(image, sitk.Image)
    return make_case(tmp_path / "la.twin", image, {"la": mask})


def test_laa_json_user_plane_undo_and_auto(run_cli, la_case, synth):
    s = synth[0]
    r = run_cli("laa", la_case, "--json")
    assert r.code == 0, r.err
    d = r.json
    assert d["input"]["atrium"] == "labels:la" and d["ostium"]["source"] == "auto"
    assert d["ostium"]["max_diameter_mm"]["value"] == pytest.approx(2 * s.a_mm, abs=0.6)
    with Case.open(la_case, write=False) as case:
        assert case.doc["landmarks"]["laa"]["ostium_source"] == "auto"
        assert case.artifact("result:laa:analysis") is not None
    c = np.asarray(d["ostium"]["center_lps_mm"]) + 3.0 * np.asarray(d["ostium"]["normal_lps"])
    n = d["ostium"]["normal_lps"]
    r2 = run_cli("laa", la_case, "--ostium-lps", ",".join(map(str, c)),
                 "--ostium-normal-lps", ",".join(map(str, n)), "--json")
    assert r2.code == 0, r2.err
    assert r2.json["ostium"]["source"] == "user"
    assert r2.json["depth_mm"]["value"] == pytest.approx(d["depth_mm"]["value"] - 3, abs=0.6)
    # the next run keeps the hand-set plane
    assert run_cli("laa", la_case, "--json").json["ostium"]["source"] == "user"
    assert run_cli("undo", la_case).code == 0          # the re-run
    assert run_cli("undo", la_case).code == 0          # the hand-set plane
    with Case.open(la_case, write=False) as case:
        assert case.doc["landmarks"]["laa"]["ostium_source"] == "auto"
        # plane and analysis went back together
        assert case.read_json("result:laa:analysis")["ostium"]["source"] == "auto"
    assert run_cli("redo", la_case).code == 0
    r3 = run_cli("laa", la_case, "--auto-ostium", "--json")
    assert r3.json["ostium"]["source"] == "auto"
    human = run_cli("laa", la_case, "--no-store")
    assert human.code == 0 and "Ostium (auto plane)" in human.out


def test_size_laa_lists_fitting_sizes_with_compression(run_cli, la_case):
    assert run_cli("size", la_case, "--laa").code == 2          # no analysis yet
    assert run_cli("laa", la_case, "--json").code == 0
    r = run_cli("size", la_case, "--laa", "--json")
    assert r.code == 0, r.err
    fam = next(f for f in r.json["families"] if f["device_id"] == "laao-flxlike")
    lz_max = r.json["measurements"]["max_diameter_mm"]["value"]
    assert fam["basis"] == "landing zone"
    fits = {s["size_mm"]: s for s in fam["fitting"]}
    assert set(fits) == {27.0, 31.0}                  # 18.9-24.3 and 21.7-27.9 mm ranges
    c = fits[27.0]["compression_pct"]
    assert c["value"] == pytest.approx(100 * (27 - lz_max) / 27, abs=1e-6)
    assert c["low"] < c["value"] < c["high"]


def test_place_laa_fast(run_cli, la_case):
    assert run_cli("laa", la_case, "--json").code == 0
    r = run_cli("place", la_case, "--laa", "--device", "laao-flxlike", "--size", "27",
                "--model", "fast", "--no-uncertainty", "--json")
    assert r.code == 0, r.err
    d = r.json
    lz = run_cli("laa", la_case, "--no-store", "--json").json["landing_zone"]
    # the device takes the elliptic appendage's shape at the landing zone
    dev = d["landing_zone_device"]
    assert dev["mean_mm"]["value"] == pytest.approx(
        np.sqrt(lz["max_diameter_mm"]["value"] * lz["min_diameter_mm"]["value"]), abs=0.8)
    assert d["compression_pct"]["value"] == pytest.approx(
        100 * (27 - dev["mean_mm"]["value"]) / 27, abs=1e-6)
    assert d["sealing_gap_mm"]["value"] < 1.0
    assert d["axis_angle_deg"]["value"] < 15.0
    with Case.open(la_case, write=False) as case:
        rec = case.doc["placements"]["laao-flxlike:27"]
        assert rec["kind"] == "laao" and case.artifact(rec["artifacts"]["pressure_map"])
    bad = run_cli("place", la_case, "--laa", "--device", "laao-flxlike")
    assert bad.code == 2 and "--size" in bad.err


def test_import_surface_then_laa(run_cli, tmp_path, synth):
    import pyvista as pv

    from twindesk.geometry.surface import mask_surface
    from twindesk.io.surface_file import write_vtp

    s, mask, grid = synth
    surf = pv.wrap(mask_surface(mask, grid)).clip(normal=(0, 1, 0), origin=(0, 28.0, 0))
    path = tmp_path / "atrium.vtp"
    write_vtp(surf, path)
    r = run_cli("import-surface", path, tmp_path / "s.twin", "--json")
    assert r.code == 0, r.err
    assert r.json["source"]["open_boundaries"] == 2
    d = run_cli("laa", tmp_path / "s.twin", "--json").json
    assert d["input"]["atrium"] == "surface:la"
    assert sum(p["open"] for p in d["protrusions"]) == 2
    assert d["ostium"]["min_diameter_mm"]["value"] == pytest.approx(2 * s.b_mm, abs=0.8)
    again = run_cli("import-surface", path, tmp_path / "s.twin")
    assert again.code == 2 and "already holds a case" in again.err
    assert run_cli("import-surface", tmp_path / "nope.stl", tmp_path / "t.twin").code == 2
    assert not (tmp_path / "t.twin").exists()


def test_laa_without_atrium_is_a_clear_error(run_cli, tmp_path):
    import SimpleITK as sitk

    from tests.anatomy_synth import make_case

    img = sitk.Image(8, 8, 8, sitk.sitkInt16)
    path = make_case(tmp_path / "empty.twin", img)
    r = run_cli("laa", path)
    assert r.code == 2 and "has no left atrium" in r.err and "segment" in r.err
