"""Ground truth against the analytic geometry (no voxels: exact to round-off)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from twindesk.phantom.anatomy import Anatomy
from twindesk.phantom.params import CUSPS, PhantomParams
from twindesk.phantom.truth import build_truth


@pytest.fixture(scope="module")
def world():
    anatomy = Anatomy(PhantomParams())
    return anatomy, build_truth(anatomy, anatomy.grid())


def in_plane(points, center, u, v):
    d = np.asarray(points) - center
    return np.column_stack([d @ u, d @ v])


def shoelace(xy):
    x, y = xy[:, 0], xy[:, 1]
    return 0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def test_truth_is_valid_json_for_its_schema(world):
    from twindesk.schemas import validate

    _, truth = world
    validate("phantom_truth", json.loads(json.dumps(truth, allow_nan=False)))


def test_annulus_plane_is_the_plane_of_the_three_hinges(world):
    _, t = world
    a = t["annulus"]
    h = np.array([a["hinge_points_lps_mm"][k] for k in CUSPS])
    n = np.array(a["normal_lps"])
    c = np.array(a["center_lps_mm"])
    assert np.abs((h - c) @ n).max() < 1e-9                    # all three hinges in the plane
    fit = np.cross(h[1] - h[0], h[2] - h[0])
    assert abs(abs(fit @ n) / np.linalg.norm(fit) - 1.0) < 1e-12
    assert np.linalg.norm(n) == pytest.approx(1.0, abs=1e-12)
    # tilted at least 30 degrees from every image axis; superior, rightward, anterior
    angles = np.degrees(np.arccos(np.abs(n)))
    assert angles.min() >= 30.0
    assert n[2] > 0 and n[0] < 0 and n[1] < 0
    assert t["lvot_cut_plane"]["normal_lps"] == pytest.approx(a["normal_lps"])


def test_annulus_is_the_26_by_21_ellipse_on_the_lumen_surface(world):
    anatomy, t = world
    a = t["annulus"]
    assert (a["max_diameter_mm"], a["min_diameter_mm"]) == pytest.approx((26.0, 21.0))
    c, n = np.array(a["center_lps_mm"]), np.array(a["normal_lps"])
    u, v = np.array(a["major_axis_lps"]), np.array(a["minor_axis_lps"])
    contour = np.array(a["contour_lps_mm"])
    assert np.abs((contour - c) @ n).max() < 1e-9
    xy = in_plane(contour, c, u, v)
    assert np.abs((xy[:, 0] / 13.0) ** 2 + (xy[:, 1] / 10.5) ** 2 - 1).max() < 1e-9
    # the contour is the lumen boundary of the drawn shape
    lumen = anatomy.aortic_lumen
    radial = (contour - c) / np.linalg.norm(contour - c, axis=1)[:, None]
    assert np.abs(lumen.sdf(contour)).max() < 1e-6
    assert np.all(lumen.sdf(contour - 0.2 * radial) < 0)
    assert np.all(lumen.sdf(contour + 0.2 * radial) > 0)
    # numbers from closed forms agree with the polygon (360 vertices)
    poly = np.linalg.norm(np.roll(contour, -1, 0) - contour, axis=1).sum()
    assert a["perimeter_mm"] == pytest.approx(poly, rel=2e-4)
    assert a["area_mm2"] == pytest.approx(np.pi * 13.0 * 10.5, rel=1e-12)
    assert a["area_mm2"] == pytest.approx(shoelace(xy), rel=1e-4)
    assert a["perimeter_derived_diameter_mm"] == pytest.approx(a["perimeter_mm"] / np.pi)
    assert a["area_derived_diameter_mm"] == pytest.approx(2 * np.sqrt(a["area_mm2"] / np.pi))
    hx, hy = 13.0 * np.cos(np.linspace(0, 2 * np.pi, 200001)), 10.5 * np.sin(
        np.linspace(0, 2 * np.pi, 200001))
    assert a["perimeter_mm"] == pytest.approx(np.hypot(np.diff(hx), np.diff(hy)).sum(), rel=1e-8)


def test_lvot_section_4mm_below(world):
    anatomy, t = world
    lv = t["lvot"]
    c = np.array(lv["center_lps_mm"])
    a = t["annulus"]
    n = np.array(a["normal_lps"])
    assert (c - np.array(a["center_lps_mm"])) @ n == pytest.approx(-4.0)
    contour = np.array(lv["contour_lps_mm"])
    assert np.abs(anatomy.aortic_lumen.sdf(contour)).max() < 1e-6
    xy = in_plane(contour, c, np.array(a["major_axis_lps"]), np.array(a["minor_axis_lps"]))
    assert lv["area_mm2"] == pytest.approx(shoelace(xy), rel=1e-4)
    assert lv["max_diameter_mm"] > lv["min_diameter_mm"]


def test_coronary_ostia_lower_edges(world):
    """Lower edges at 13 and 16 mm: the lowest coronary-lumen point outside the root."""
    anatomy, t = world
    a = t["annulus"]
    c, n = np.array(a["center_lps_mm"]), np.array(a["normal_lps"])
    heart = anatomy.heart
    for side, expected in (("left", 13.0), ("right", 16.0)):
        o = t["coronary_ostia"][side]
        assert o["lower_edge_height_mm"] == pytest.approx(expected, abs=1e-9)
        low = np.array(o["lower_edge_lps_mm"])
        assert (low - c) @ n == pytest.approx(expected, abs=1e-9)
        assert abs(anatomy.aortic_lumen.sdf(low[None])[0]) < 1e-6
        assert abs(heart.coronary_blood.sdf(low[None])[0]) < 1e-6
        # dense samples of the coronary lumen around the ostium, outside the aortic lumen
        info = heart.ostia[side]
        a0, b0 = info["straight"]
        d = info["direction"]
        w = np.cross(n, d)
        # the tube's surface (its lowest points are on the surface), densest at the bottom
        s = np.linspace(0.0, np.linalg.norm(b0 - a0), 150)
        ang = np.pi + np.linspace(-0.6, 0.6, 121) ** 3
        rr = np.array([info["radius"]])
        S, A, R = np.meshgrid(s, ang, rr, indexing="ij")
        pts = (a0 + S[..., None] * d + R[..., None] * (np.cos(A)[..., None] * n +
                                                       np.sin(A)[..., None] * w)).reshape(-1, 3)
        pts = pts[heart.coronary_blood.sdf(pts) <= 1e-9]
        outside = pts[anatomy.aortic_lumen.sdf(pts) > 0]
        assert outside.size
        heights = (outside - c) @ n
        assert heights.min() >= expected - 1e-6
        assert heights.min() == pytest.approx(expected, abs=0.02)
        assert o["diameter_mm"] == pytest.approx(4.4 if side == "left" else 3.6)
        assert o["cusp"] == side


def test_root_landmarks_lie_on_the_wall(world):
    anatomy, t = world
    lumen = anatomy.aortic_lumen
    pts = [t["commissures"][k]["point_lps_mm"] for k in t["commissures"]]
    for k in CUSPS:
        s = t["sinuses"][k]
        pts += [s["cusp_point_lps_mm"], s["opposite_commissure_point_lps_mm"]]
        assert s["diameter_mm"] == pytest.approx(np.linalg.norm(
            np.subtract(s["cusp_point_lps_mm"], s["opposite_commissure_point_lps_mm"])))
        assert 30.0 < s["diameter_mm"] < 36.0
    assert np.abs(lumen.sdf(np.array(pts))).max() < 1e-6
    # the sinus plane is the widest: the mean diameter falls on either side of it
    from twindesk.phantom.truth import _sinus_chord

    root = anatomy.heart.root
    h0 = t["sinuses"]["right"]["measured_at_height_mm"]
    assert all(t["sinuses"][k]["measured_at_height_mm"] == h0 for k in CUSPS)

    def mean_d(h):
        return np.mean([np.linalg.norm(np.subtract(*_sinus_chord(root, k, h))) for k in CUSPS])

    assert 8.0 < h0 < 14.0
    assert mean_d(h0) > max(mean_d(h0 - 1.0), mean_d(h0 + 1.0)) + 0.01
    assert mean_d(h0) == pytest.approx(np.mean([t["sinuses"][k]["diameter_mm"] for k in CUSPS]))
    # three distinct sinuses (the non-coronary sinus the widest)
    d = {k: t["sinuses"][k]["diameter_mm"] for k in CUSPS}
    assert d["non"] > d["left"] + 0.5 and d["left"] > d["right"] + 0.1
    assert t["stj"]["diameter_mm"] == pytest.approx(28.0)
    assert t["stj"]["height_mm"] == pytest.approx(20.0)
    asc = t["ascending_aorta"]
    assert asc["diameter_at_level_mm"] == pytest.approx(32.0)
    assert asc["max_diameter_mm"] == pytest.approx(33.0, abs=1e-6)
    # the centre at 40 mm is on the axis, 40 mm above the annulus plane
    a = t["annulus"]
    up = np.subtract(asc["center_at_level_lps_mm"], a["center_lps_mm"])
    assert up @ np.array(a["normal_lps"]) == pytest.approx(40.0)
    ms = t["membranous_septum"]
    assert np.subtract(ms["point_lps_mm"], a["center_lps_mm"]) @ np.array(a["normal_lps"]) == \
        pytest.approx(-ms["length_mm"])


def test_ascending_and_arch_sections_are_the_truth_circles(world):
    """The aorta above the STJ is a canal surface of circular sections (what the truth and
    its centre line state): the arch must bend more gently than the lumen radius, else the
    surface folds over on the inner side of the bend and a section there bulges (it did at
    the 40 mm level before the arch waypoints were smoothed)."""
    anatomy, t = world
    h = anatomy.heart
    cl, s0 = h.aorta_cl, h.annulus_s_mm
    arc = np.arange(t["stj"]["height_mm"] + 1.0, 200.0, 0.5)
    _, tan, _ = cl.at(s0 + arc)
    curvature = np.linalg.norm(np.gradient(tan, 0.5, axis=0), axis=1)
    radius = h.root.diameter(arc) / 2.0
    assert np.min(1.0 / np.maximum(curvature, 1e-9) / radius) > 1.25
    lumen = anatomy.aortic_lumen
    asc = t["ascending_aorta"]
    for level in (40.0, 45.0, 55.0, 70.0, 90.0):
        p, tg, nrm = cl.at(s0 + level)
        d = float(h.root.diameter(level))
        if level == 40.0:
            assert d == pytest.approx(asc["diameter_at_level_mm"])
            np.testing.assert_allclose(p[0], asc["center_at_level_lps_mm"], atol=1e-9)
        th = np.linspace(0.0, 2 * np.pi, 180, endpoint=False)
        ring = np.cos(th)[:, None] * nrm[0] + np.sin(th)[:, None] * np.cross(tg[0], nrm[0])
        for offset, lo, hi in ((0.0, -0.02, 0.02), (-1.0, -1.05, -0.95), (1.0, 0.95, 1.05)):
            sdf = lumen.sdf(p[0] + (d / 2 + offset) * ring)
            assert lo < sdf.min() and sdf.max() < hi, (level, offset)


def test_calcium_nodules(world):
    anatomy, t = world
    cal = t["calcium"]
    by_cusp = {k: 0.0 for k in CUSPS}
    centers = np.array([n["center_lps_mm"] for n in cal["nodules"]])
    radii = np.array([n["radius_mm"] for n in cal["nodules"]])
    root = anatomy.heart.root
    for nod in cal["nodules"]:
        assert nod["volume_mm3"] == pytest.approx(4 / 3 * np.pi * nod["radius_mm"] ** 3)
        by_cusp[nod["cusp"]] += nod["volume_mm3"]
        h, c, s, _ = root.to_root(np.array([nod["center_lps_mm"]]))
        idx, _ = root.cusp_coords(np.arctan2(s, c))
        assert CUSPS[int(idx[0])] == nod["cusp"]
        # on the leaflet's mid-surface
        assert root.leaflet_sdf(np.array([nod["center_lps_mm"]]))[0] == pytest.approx(
            -anatomy.params.root.leaflet_thickness_mm / 2, abs=1e-6)
    assert cal["volume_mm3_by_cusp"] == pytest.approx(by_cusp)
    assert cal["total_volume_mm3"] == pytest.approx(sum(by_cusp.values()))
    gaps = np.linalg.norm(centers[:, None] - centers[None], axis=2) - radii[:, None] - radii[None]
    assert np.all(gaps[~np.eye(len(radii), dtype=bool)] > 0)     # disjoint: volumes add up


def test_laa_ostium_depth_and_morphology(world):
    anatomy, t = world
    laa = t["laa"]
    o = laa["ostium"]
    c, nu = np.array(o["center_lps_mm"]), np.array(o["normal_lps"])
    contour = np.array(o["contour_lps_mm"])
    heart = anatomy.heart
    assert np.abs((contour - c) @ nu).max() < 1e-9
    assert np.abs(heart.laa.sdf(contour)).max() < 1e-6
    # the atrial body lies wholly on the atrial side of the ostium plane
    u = np.random.default_rng(1).normal(size=(20000, 3))
    surf = np.array([heart.la_ell.surface_point(d) for d in u])
    assert ((surf - c) @ nu).max() < -1.0
    xy = in_plane(contour, c, np.array(o["major_axis_lps"]), np.array(o["minor_axis_lps"]))
    assert o["area_mm2"] == pytest.approx(shoelace(xy), rel=1e-4)
    poly = np.linalg.norm(np.roll(contour, -1, 0) - contour, axis=1).sum()
    assert o["perimeter_mm"] == pytest.approx(poly, rel=2e-4)
    assert (o["max_diameter_mm"], o["min_diameter_mm"]) == pytest.approx((23.0, 16.5))
    assert o["mean_diameter_mm"] == pytest.approx(19.75)
    axis = np.array(laa["axis_lps_mm"])
    assert np.linalg.norm(axis[0] - c) < 0.5
    length = np.linalg.norm(np.diff(axis, axis=0), axis=1).sum()
    assert laa["depth_mm"] == pytest.approx(length, abs=0.5)
    assert 30.0 < laa["depth_mm"] < 45.0 and laa["depth_mm"] > o["max_diameter_mm"]
    assert laa["morphology"] == "windsock" and laa["bend_deg"] < 90.0
    assert laa["neck"]["max_diameter_mm"] < o["max_diameter_mm"]
    assert len(laa["lobes"]) == 2
    # the apex is the deepest lumen point along the axis
    assert abs(heart.laa.sdf(np.array([laa["apex_lps_mm"]]))[0]) < 1e-4


def test_aortic_centerline(world):
    anatomy, t = world
    cl = t["aortic_centerline"]
    pts = np.array(cl["points_lps_mm"])
    assert pts[0] == pytest.approx(t["annulus"]["center_lps_mm"])
    arc = np.array(cl["arc_length_mm"])
    assert np.allclose(np.diff(arc), 1.0)
    assert np.linalg.norm(np.diff(pts, axis=0), axis=1) == pytest.approx(np.diff(arc), abs=1e-3)
    d = anatomy.heart.aorta.sdf(pts)
    radius = np.array(cl["radius_mm"])
    circular = np.array(cl["diameter_min_mm"]) == np.array(cl["diameter_max_mm"])
    assert circular.sum() > 0.8 * len(pts)
    assert np.allclose(-d[circular], radius[circular], atol=0.01)
    assert np.all(d < -radius * 0.4)   # inside (in the root the estimate is conservative)
    z0 = t["image"]["origin_lps_mm"][2]
    assert pts[-1][2] >= z0 - 1e-6 and pts[-1][2] < z0 + 1.5
    assert 300 < arc[-1] < 450


def test_coarse_copy_has_the_same_anatomy():
    a = Anatomy(PhantomParams())
    b = Anatomy(PhantomParams().with_voxel(1.5))
    ta, tb = build_truth(a, a.grid()), build_truth(b, b.grid())
    for key in ("annulus", "coronary_ostia", "laa", "calcium", "sinuses", "stj"):
        assert ta[key] == tb[key]
    assert tb["image"]["spacing_mm"] == [1.5] * 3
    assert tb["image"]["origin_lps_mm"] == ta["image"]["origin_lps_mm"]


def test_generator_digest_covers_every_geometry_module():
    """A change to any module that shapes the image must invalidate an old demo."""
    from pathlib import Path

    import twindesk.phantom as pkg
    from twindesk.phantom import params

    here = Path(pkg.__file__).parent
    modules = {p.stem for p in here.glob("*.py")} - {"__init__", "demo"}
    assert modules == set(params._GEOMETRY_MODULES)
    assert len(params.generator_digest()) == 64
