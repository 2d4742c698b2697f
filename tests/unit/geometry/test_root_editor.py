"""Live hinge editing on a straight synthetic root: the annulus of a tilted plane through a
cylinder is an ellipse with known axes."""

import numpy as np
import pytest
from scipy.special import ellipe

from twindesk.geometry.annulus import RootFrame, hinge_plane
from twindesk.geometry.root_editor import RootEditor, annulus_view, long_axis_view

from .synthetic_root import R_ROOT_MM, root_ct


@pytest.fixture(scope="module")
def image():
    return root_ct([])


def _hinges(h=(0.0, 0.0, 0.0)):
    f = RootFrame(np.zeros(3), np.array([0.0, 0.0, 1.0]))
    return {k: f.point(hk, a, R_ROOT_MM) for k, a, hk in
            zip(("right", "left", "non"), (0.0, 120.0, 240.0), h)}


def test_live_annulus_follows_a_moved_hinge(image):
    ed = RootEditor(image, _hinges(), patient_position=None)
    live = ed.measure()
    d = 2 * R_ROOT_MM
    assert live["annulus"]["perimeter_derived_diameter_mm"] == pytest.approx(d, abs=0.3)
    assert live["fluoroscopy"]["patient_position_source"] == "assumed"
    assert not ed.edited
    # lift the right hinge by 4 mm: the plane tilts; its section of the cylinder is an
    # ellipse with semi-axes R and R / cos(tilt)
    moved = _hinges((4.0, 0.0, 0.0))
    live = ed.move_hinge("right", moved["right"])
    assert ed.edited
    n = hinge_plane(moved).normal_lps
    tilt = np.arccos(n[2])
    assert np.degrees(np.arccos(np.dot(live["plane"]["normal_lps"], n))) < 0.5
    a, b = R_ROOT_MM / np.cos(tilt), R_ROOT_MM
    perim = 4 * a * ellipe(1 - (b / a) ** 2)
    assert live["annulus"]["perimeter_mm"] == pytest.approx(perim, rel=0.015)
    assert live["annulus"]["max_diameter_mm"] == pytest.approx(2 * a, abs=0.4)


def test_a_move_off_the_root_is_refused_and_undone(image):
    from twindesk.errors import TwindeskError

    ed = RootEditor(image, _hinges())
    ed.measure()
    before = ed.hinges["left"].copy()
    with pytest.raises(TwindeskError):
        ed.move_hinge("left", before + np.array([0.0, 0.0, 60.0]))  # far above the root
    np.testing.assert_array_equal(ed.hinges["left"], before)
    assert not ed.edited


def test_view_planes_map_both_ways():
    f = RootFrame(np.array([1.0, 2.0, 3.0]), np.array([0.2, -0.3, 0.93]) /
                  np.linalg.norm([0.2, -0.3, 0.93]))
    for view in (annulus_view(f, 2.0), long_axis_view(f, 130.0)):
        p = view.to_lps(3.5, -7.25)
        col, row, depth = view.to_plane(p)[0]
        assert (col, row, depth) == pytest.approx((3.5, -7.25, 0.0), abs=1e-9)
        pts = view.points()
        c = (view.n - 1) // 2
        np.testing.assert_allclose(pts[c, c], view.origin_lps_mm, atol=1e-9)
        np.testing.assert_allclose(pts[c, c + 4] - pts[c, c], 4 * view.step_mm * view.col_dir)
    # the long-axis view holds the axis (rows) and the hinge direction (columns)
    v = long_axis_view(f, 130.0)
    assert v.row_dir @ f.normal_lps == pytest.approx(1.0)
    assert f.angle_deg(f.center_lps_mm + v.col_dir)[0] == pytest.approx(130.0)
