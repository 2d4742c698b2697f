"""Interactive placement logic: poses from drags and the 3D handle, the rigid preview."""

from __future__ import annotations

import numpy as np
import pytest

from twindesk.sim.tavr import planner
from twindesk.sim.tavr.anatomy import RootAnatomy
from twindesk.sim.tavr.planner import Pose

N = np.array([0.0, -0.6, 0.8])
X = np.array([1.0, 0.0, 0.0])
Y = np.cross(N, X)
C = np.array([5.0, -10.0, 40.0])
A = RootAnatomy(tuple(C), tuple(N), tuple(X), tuple(-X), 18.0, "test")


def _at(h, deg, r=10.0):
    t = np.radians(deg)
    return C + h * N + r * (np.cos(t) * X + np.sin(t) * Y)


def test_drag_along_the_axis_changes_depth_and_en_face_drag_turns():
    start = Pose(4.0, 10.0)
    # coronal-like view (normal ⟂ axis): 3 mm toward the aorta → 3 mm less deep
    p = planner.pose_after_drag(A, start, _at(2, 30), _at(5, 40), np.cross(N, X))
    assert p.depth_mm == pytest.approx(1.0) and p.rotation_deg == pytest.approx(10.0)
    # en-face view (normal along the axis): the azimuth change turns the frame
    p = planner.pose_after_drag(A, start, _at(0, 30), _at(0, 75), N)
    assert p.depth_mm == 4.0 and p.rotation_deg == pytest.approx(55.0)
    # wrap-around and clamping
    p = planner.pose_after_drag(A, Pose(4.0, 170.0), _at(0, 170), _at(0, -170), -N)
    assert p.rotation_deg == pytest.approx(-170.0)
    assert planner.pose_after_drag(A, start, _at(0, 0), _at(-40, 0), X).depth_mm == 20.0


def test_handle_moves_depth_and_rotation_together():
    p = planner.pose_from_handle(A, Pose(4.0, 0.0), _at(15, 0, 13), _at(13, 20, 13))
    assert p.depth_mm == pytest.approx(6.0) and p.rotation_deg == pytest.approx(20.0)
    assert planner.height_and_azimuth(A, _at(7, -35)) == pytest.approx((7.0, -35.0))


def test_rigid_preview_moves_points_with_the_pose():
    pts = np.array([_at(h, d, 12) for h, d in ((-4, 0), (0, 90), (14, 200))])
    moved = planner.rigid_preview(A, pts, Pose(4.0, 0.0), Pose(6.0, 30.0))
    for before, after in zip(pts, moved):
        hb, ab = planner.height_and_azimuth(A, before)
        ha, aa = planner.height_and_azimuth(A, after)
        assert ha == pytest.approx(hb - 2.0)
        assert (aa - ab + 180) % 360 - 180 == pytest.approx(30.0)
        assert np.linalg.norm(after - C - ha * N) == pytest.approx(12.0)
    back = planner.rigid_preview(A, moved, Pose(6.0, 30.0), Pose(4.0, 0.0))
    assert np.allclose(back, pts)
    level = np.array([0, 1, 5])
    assert np.allclose(planner.handle_point(A, pts, level, Pose(4.0, 0.0)), pts[2])


def test_table_row_formats_results_and_failures():
    iv = {"value": 23.04, "low": 22.5, "high": 23.6, "unit": "mm"}
    res = {"levels": {"annulus": {"mean_diameter_mm": iv, "eccentricity": {"value": 0.12},
                                  "expansion_pct": {"value": 96.2}}},
           "contact_pressure": {"max_kpa": {"value": 150.4}},
           "paravalvular_gap": {"area_mm2": {"value": 0.0}},
           "coronary": {"left": {"vtc_mm": {"value": 3.5}, "vtc_high_risk": True}},
           "conduction": {"msid_mm": {"value": 3.0}, "risk": "low"},
           "eoa": {"indexed_eoa_cm2_per_m2": {"value": 0.81}, "ppm": "moderate"}}
    row = planner.table_row(26.0, res)
    assert len(row) == len(planner.TABLE_HEADER)
    assert row[:2] == ("26", "23.0 [22.5, 23.6]") and row[6] == "3.5/- !"
    assert row[7] == "3.0 (low)" and row[9] == "moderate"
    failed = planner.table_row(29.0, "did not converge")
    assert failed[1] == "failed: did not converge" and len(failed) == len(planner.TABLE_HEADER)
