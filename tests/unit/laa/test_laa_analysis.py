"""LAA analysis on synthetic atria with an analytic appendage (tests/laa_synth.py).

Tolerances (1 mm voxels unless said): ostium diameters within 0.6 mm (the cut is 1 mm
voxels, lightly smoothed, and the ostium plane follows the tilted atrial wall by about 10
degrees, lengthening one diameter by up to 2 %); eccentricity within 0.04; depth along the
axis within 1.5 mm; bend within 15 degrees (the distal direction is a secant before the
rounded tip).
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.laa_synth import APPENDAGE_DIR, MAJOR, SynthLAA
from twindesk.errors import InputError
from twindesk.geometry.laa.analysis import LAAParams, analyse
from twindesk.geometry.laa.ostium import OstiumPlane
from twindesk.geometry.laa.region import RegionParams

ZONES = (("laao-flxlike", 2.0),)


@pytest.fixture(scope="module")
def straight():
    s = SynthLAA()
    mask, grid = s.mask()
    return s, analyse(mask, grid, LAAParams(landing_zones=ZONES))


def _v(x):
    return x["value"]


def test_straight_elliptic_appendage_ostium_depth_and_class(straight):
    s, res = straight
    d = res.data
    o = d["ostium"]
    assert _v(o["max_diameter_mm"]) == pytest.approx(2 * s.a_mm, abs=0.6)
    assert _v(o["min_diameter_mm"]) == pytest.approx(2 * s.b_mm, abs=0.6)
    assert _v(o["eccentricity"]) == pytest.approx(1 - s.b_mm / s.a_mm, abs=0.04)
    assert _v(o["mean_diameter_mm"]) == pytest.approx(s.a_mm + s.b_mm, abs=0.5)
    # the truth lies inside the reported intervals
    for key, truth in (("max_diameter_mm", 2 * s.a_mm), ("min_diameter_mm", 2 * s.b_mm)):
        assert o[key]["low"] <= truth <= o[key]["high"]
    # the major diameter runs along the tube's major axis
    assert abs(np.dot(o["major_axis_lps"], MAJOR)) > 0.95
    # the orifice plane follows the atrial wall: within 15 degrees of the tube's axis
    assert abs(np.dot(o["normal_lps"], APPENDAGE_DIR)) > np.cos(np.radians(15))
    assert np.dot(o["normal_lps"], APPENDAGE_DIR) > 0        # into the appendage
    assert _v(d["depth_mm"]) == pytest.approx(s.depth_mm, abs=1.5)
    assert _v(d["bend_deg"]) < 15.0
    assert d["morphology"] == "windsock" and d["lobe_count"] == 1
    assert d["morphology_stable"]
    # the two veins reach the border: open, never the appendage
    assert sum(p["open"] for p in d["protrusions"]) == 2
    lz = d["landing_zone"]
    assert lz["device_id"] == "laao-flxlike" and lz["depth_mm"] == 2.0
    assert _v(lz["max_diameter_mm"]) == pytest.approx(2 * s.a_mm, abs=0.6)
    assert _v(lz["min_diameter_mm"]) == pytest.approx(2 * s.b_mm, abs=0.6)
    # the landing zone lies 2 mm down the axis from the ostium
    step = np.asarray(lz["center_lps_mm"]) - np.asarray(o["center_lps_mm"])
    assert np.linalg.norm(step) == pytest.approx(2.0, abs=0.3)


def test_every_number_has_an_interval(straight):
    d = straight[1].data
    for key in ("depth_mm", "depth_perpendicular_mm", "depth_along_normal_mm", "bend_deg",
                "appendage_volume_ml"):
        assert d[key]["low"] <= d[key]["value"] <= d[key]["high"]
    for key in ("perimeter_mm", "area_mm2", "area_derived_diameter_mm"):
        iv = d["ostium"][key]
        assert iv["low"] < iv["value"] < iv["high"]


@pytest.mark.parametrize("shape, expected", [
    (dict(length_mm=42, bend_deg=120, bend_at_mm=14), "chicken-wing"),
    (dict(a_mm=12, b_mm=9, length_mm=8), "cauliflower"),
    ("cactus", "cactus"),
])
def test_morphology_classes(shape, expected):
    if shape == "cactus":
        side = np.cross(APPENDAGE_DIR, MAJOR)
        s = SynthLAA(length_mm=32, lobes=[(14, side, 12, 4.5), (20, -side, 12, 4.5)])
    else:
        s = SynthLAA(**shape)
    mask, grid = s.mask()
    d = analyse(mask, grid).data
    assert d["morphology"] == expected, d["morphology_reasons"]
    if expected == "chicken-wing":
        assert _v(d["bend_deg"]) == pytest.approx(120.0, abs=15.0)
        assert _v(d["depth_mm"]) == pytest.approx(s.depth_mm, abs=2.0)
    if expected == "cactus":
        assert d["lobe_count"] == 3
        dist = sorted(_v(lobe["distance_from_ostium_mm"]) for lobe in d["lobes"][1:])
        assert dist[0] == pytest.approx(14.0, abs=2.5) and dist[1] == pytest.approx(20, abs=2.5)


def test_user_plane_moves_the_ostium_and_shortens_the_depth(straight):
    s, res = straight
    auto = res.plane
    mask, grid = s.mask()
    moved = auto.moved(3.0, source="user")
    d = analyse(mask, grid, LAAParams(user_plane=moved)).data
    assert d["ostium"]["source"] == "user"
    assert np.allclose(d["ostium"]["normal_lps"], auto.normal, atol=1e-3)
    assert _v(d["depth_mm"]) == pytest.approx(_v(res.data["depth_mm"]) - 3.0, abs=0.6)
    # a straight tube: the same section 3 mm further in
    assert _v(d["ostium"]["min_diameter_mm"]) == pytest.approx(2 * s.b_mm, abs=0.6)
    assert _v(d["ostium"]["max_diameter_mm"]) == pytest.approx(2 * s.a_mm, abs=0.6)


def test_results_stable_under_voxel_refinement(straight):
    s, coarse = straight
    fine = SynthLAA(voxel_mm=0.7)
    mask, grid = fine.mask()
    d0, d1 = coarse.data, analyse(mask, grid).data
    # 1.0 -> 0.7 mm voxels: diameters move by less than one coarse voxel (0.7 mm), the
    # mean diameter and the depth by less than half of one
    for key in ("max_diameter_mm", "min_diameter_mm"):
        assert abs(_v(d0["ostium"][key]) - _v(d1["ostium"][key])) < 0.7
        assert _v(d1["ostium"][key]) == pytest.approx(
            2 * (s.a_mm if key.startswith("max") else s.b_mm), abs=0.5)
    assert abs(_v(d0["ostium"]["mean_diameter_mm"]) - _v(d1["ostium"]["mean_diameter_mm"])) < 0.5
    assert abs(_v(d0["depth_mm"]) - _v(d1["depth_mm"])) < 1.0


def test_no_blind_protrusion_is_a_clear_error():
    s = SynthLAA(length_mm=0.0, a_mm=1.0, b_mm=1.0)   # no appendage, only open veins
    mask, grid = s.mask()
    with pytest.raises(InputError, match="no left atrial appendage found"):
        analyse(mask, grid)


def test_hint_point_picks_the_protrusion():
    side = np.cross(APPENDAGE_DIR, MAJOR)
    s = SynthLAA(length_mm=32, lobes=[(14, side, 12, 4.5)])
    mask, grid = s.mask()
    tip = s.point_beyond_surface(s.length_mm)
    d = analyse(mask, grid, LAAParams(region=RegionParams(hint_lps_mm=tuple(tip)))).data
    assert "hint point" in d["appendage_found_by"]


def test_ostium_plane_helpers():
    p = OstiumPlane((0.0, 0.0, 0.0), (0.0, 0.0, 1.0))
    assert p.height_mm([[1.0, 2.0, 3.0]])[0] == pytest.approx(3.0)
    q = p.moved(2.0, tilt_axis_lps=(1.0, 0.0, 0.0), tilt_deg=90.0)
    assert np.allclose(q.center, [0, 0, 2.0]) and np.allclose(q.normal, [0, -1.0, 0], atol=1e-9)
