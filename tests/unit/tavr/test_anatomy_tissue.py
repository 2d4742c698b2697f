"""Placement defaults from a root measurement; the open root lumen surface of a mask."""

from __future__ import annotations

import numpy as np
import pytest

from twindesk.errors import CaseError, InputError
from twindesk.sim.tavr import anatomy, tissue

NORMAL = np.array([0.0, -0.6, 0.8])          # LV → aorta, tilted
CENTER = np.array([10.0, -20.0, 30.0])


def _measurement(**over):
    """A minimal ``result:measure:root``: annulus in the plane through CENTER ⟂ NORMAL,
    hinges 12 mm out, the left-right commissure opposite the non-coronary hinge but
    rotated 10°, STJ 20 mm up, ostia and a septum point."""
    e1 = np.array([1.0, 0.0, 0.0])
    e2 = np.cross(NORMAL, e1)

    def at(deg, r, h=0.0):
        a = np.radians(deg)
        return (CENTER + r * (np.cos(a) * e1 + np.sin(a) * e2) + h * NORMAL).tolist()

    res = {"plane": {"center_lps_mm": CENTER.tolist(), "normal_lps": NORMAL.tolist()},
           "hinges_lps_mm": {"right": at(0, 12), "left": at(120, 12), "non": at(240, 12)},
           "hinges_source": "user",
           "sinus": {"by_cusp": {"non": {"opposite_commissure": "right_left",
                                         "opposite_commissure_point_lps_mm": at(70, 14, 8)}}},
           "stj": {"height_mm": {"value": 20.0, "low": 19.6, "high": 20.4, "unit": "mm"}},
           "coronary_heights": {
               "left": {"lower_edge_lps_mm": at(120, 15, 13), "source": "user",
                        "height_mm": {"value": 13.0, "low": 12.5, "high": 13.5, "unit": "mm"}},
               "right": None},
           "membranous_septum": {"length_mm": {"value": 7.0, "low": 6.5, "high": 7.4,
                                               "unit": "mm"}, "point_lps_mm": at(300, 10, -7)},
           "annulus": {"perimeter_mm": {"value": 75.0}, "area_mm2": {"value": 440.0}}}
    res.update(over)
    return res


def _deg_between(u, v):
    return np.degrees(np.arccos(np.clip(np.dot(u, v) / np.linalg.norm(u) / np.linalg.norm(v),
                                        -1, 1)))


def test_anatomy_from_measurement():
    a = anatomy.from_measurement(_measurement())
    assert np.allclose(a.annulus_center_lps_mm, CENTER)
    assert np.allclose(a.annulus_normal_lps, NORMAL)
    e1 = np.array([1.0, 0.0, 0.0])
    e2 = np.cross(NORMAL, e1)
    # in-plane unit directions toward the commissure (70°) and the non hinge (240°)
    assert _deg_between(a.commissure_direction_lps,
                        np.cos(np.radians(70)) * e1 + np.sin(np.radians(70)) * e2) < 1e-6
    assert _deg_between(a.noncoronary_direction_lps,
                        np.cos(np.radians(240)) * e1 + np.sin(np.radians(240)) * e2) < 1e-6
    assert abs(np.dot(a.commissure_direction_lps, NORMAL)) < 1e-12
    assert (a.commissure_height_mm, a.commissure_height_source) == (
        20.0, "sinotubular junction height")
    assert [o.side for o in a.ostia] == ["left"] and a.ostia[0].height_mm == 13.0
    assert a.membranous_septum_mm == (7.0, 6.5, 7.4)
    assert any("right coronary" in n for n in a.notes)
    assert a.height(CENTER + 3.0 * NORMAL) == pytest.approx(3.0)


def test_fallbacks_and_overrides():
    a = anatomy.from_measurement(_measurement(sinus=None), commissure_height_mm=17.0)
    # without the sinus, rotation 0 faces away from the non-coronary hinge
    assert _deg_between(a.commissure_direction_lps, -np.asarray(a.noncoronary_direction_lps)) \
        < 1e-6
    assert (a.commissure_height_mm, a.commissure_height_source) == (17.0, "user")
    with pytest.raises(InputError, match="commissure-height-mm"):
        anatomy.from_measurement(_measurement(), commissure_height_mm=60.0)
    with pytest.raises(CaseError, match="commissure"):
        anatomy.from_measurement(_measurement(stj=None))
    with pytest.raises(CaseError, match="missing"):
        anatomy.from_measurement({"plane": {}})
    assert anatomy.from_measurement(_measurement(membranous_septum=None)) \
        .membranous_septum_mm is None


def _tube_mask(radius_mm=11.0, spacing=0.8):
    """A straight tube mask along NORMAL through CENTER on a voxel grid, -40..70 mm."""
    from twindesk.imaging.grid import Grid

    n = 120
    origin = CENTER - 0.5 * n * spacing
    grid = Grid(tuple(origin), (spacing,) * 3, (1, 0, 0, 0, 1, 0, 0, 0, 1), (n, n, n))
    zz, yy, xx = np.indices(grid.shape)
    p = grid.zyx_to_lps(np.column_stack([zz.ravel(), yy.ravel(), xx.ravel()])) - CENTER
    h = p @ NORMAL
    r = np.linalg.norm(p - np.outer(h, NORMAL), axis=1)
    return ((r <= radius_mm) & (h > -40) & (h < 70)).reshape(grid.shape), grid


def test_open_root_surface_of_a_tube():
    """The surface is the tube wall between the slab planes: open at both ends (two
    boundary loops), no cap faces, radius 11 mm within half a voxel."""
    import pyvista as pv

    mask, grid = _tube_mask()
    slab = tissue.TissueSlab(below_mm=10.0, above_mm=30.0)
    poly = pv.wrap(tissue.build_root_surface(mask, grid, CENTER, NORMAL, slab))
    p = np.asarray(poly.points) - CENTER
    h = p @ NORMAL
    r = np.linalg.norm(p - np.outer(h, NORMAL), axis=1)
    assert h.min() >= -10.0 - 1e-6 and h.max() <= 30.0 + 1e-6
    assert h.min() < -9.0 and h.max() > 29.0
    assert np.all(np.abs(r - 11.0) < 0.5)
    edges = poly.extract_feature_edges(boundary_edges=True, feature_edges=False,
                                       manifold_edges=False, non_manifold_edges=False)
    loops = edges.connectivity().point_data["RegionId"].max() + 1
    assert loops == 2
    normals = poly.compute_normals(cell_normals=False, auto_orient_normals=False) \
        .point_data["Normals"]
    radial = (p - np.outer(h, NORMAL)) / r[:, None]
    assert np.mean(np.sum(normals * radial, axis=1) > 0) > 0.95   # out of the lumen


def test_empty_mask_is_input_error():
    mask, grid = _tube_mask()
    with pytest.raises(InputError, match="annulus"):
        tissue.build_root_surface(np.zeros_like(mask), grid, CENTER, NORMAL)
