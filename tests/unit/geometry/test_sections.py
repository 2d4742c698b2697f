"""Lumen contours in arbitrary planes against analytic ellipses."""

from __future__ import annotations

import numpy as np
import pytest

from twindesk.geometry.sections import lumen_contour, polygon_area, smooth_field
from twindesk.imaging.grid import Grid


def _elliptic_tube(spacing, a_mm, b_mm, axis):
    n = int(round(70 / spacing))
    g = Grid((-35.0,) * 3, (spacing,) * 3, (1, 0, 0, 0, 1, 0, 0, 0, 1), (n, n, n))
    zz, yy, xx = np.indices(g.shape)
    p = g.zyx_to_lps(np.stack([zz.ravel(), yy.ravel(), xx.ravel()], 1))
    axis = np.asarray(axis, float) / np.linalg.norm(axis)
    ref = [0.0, 0.0, 1.0] if abs(axis[2]) < 0.9 else [1.0, 0.0, 0.0]
    e1 = np.cross(axis, ref)
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(axis, e1)
    mask = ((p @ e1) / a_mm) ** 2 + ((p @ e2) / b_mm) ** 2 <= 1.0
    return g, mask.reshape(g.shape), axis, e1, e2


@pytest.mark.parametrize("a_mm,b_mm", [(12.0, 12.0), (13.0, 9.5)])
def test_oblique_elliptic_section(a_mm, b_mm):
    g, mask, axis, e1, _ = _elliptic_tube(0.6, a_mm, b_mm, (1.0, 0.5, 2.0))
    c = lumen_contour(smooth_field(mask, g), g, (0.0, 0.0, 0.0), axis, half_size_mm=25.0)
    area = np.pi * a_mm * b_mm
    assert c.area_mm2 == pytest.approx(area, rel=0.01)
    assert c.diameter_area_mm == pytest.approx(2 * np.sqrt(a_mm * b_mm), abs=0.15)
    assert c.diameter_max_mm == pytest.approx(2 * a_mm, abs=0.3)
    assert c.diameter_min_mm == pytest.approx(2 * b_mm, abs=0.3)
    h = ((a_mm - b_mm) / (a_mm + b_mm)) ** 2  # Ramanujan's perimeter
    per = np.pi * (a_mm + b_mm) * (1 + 3 * h / (10 + np.sqrt(4 - 3 * h)))
    assert c.perimeter_mm == pytest.approx(per, rel=0.015)
    assert np.allclose(c.centroid_lps_mm, 0.0, atol=0.1)
    if a_mm != b_mm:  # the long chord lies along the long semi-axis
        assert abs(np.dot(c.direction_max_lps, e1)) > 0.98
    # every contour point lies in the plane
    assert np.allclose((c.points_lps_mm - 0.0) @ axis, 0.0, atol=1e-9)


def test_picks_the_lumen_around_the_point_and_none_outside():
    g, mask, axis, e1, _ = _elliptic_tube(0.6, 8.0, 8.0, (0, 0, 1))
    shift = 42  # voxels: a second tube 25.2 mm along +x
    both = mask | np.roll(mask, shift, axis=2)
    c = lumen_contour(both, g, (25.0, 0.0, 0.0), (0, 0, 1))
    assert np.allclose(c.centroid_lps_mm[:2], (shift * 0.6, 0.0), atol=0.1)
    assert c.area_mm2 == pytest.approx(np.pi * 64, rel=0.03)
    assert lumen_contour(mask, g, (20.0, 20.0, 0.0), (0, 0, 1), half_size_mm=5.0) is None


def test_polygon_area_orientation():
    sq = np.array([[0, 0], [2, 0], [2, 1], [0, 1]], float)
    assert polygon_area(sq) == 2.0 and polygon_area(sq[::-1]) == -2.0
