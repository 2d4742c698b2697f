"""Widest-section diameter on a native grid: oblique tubes, anisotropic voxels, ascending region."""

from __future__ import annotations

import numpy as np
import pytest

from twindesk.errors import InputError
from twindesk.twin.diameter import max_diameter


def grid(spacing, size, origin=(0.0, 0.0, 0.0)):
    import SimpleITK as sitk

    img = sitk.Image(*size, sitk.sitkInt16)
    img.SetSpacing(spacing)
    img.SetOrigin(origin)
    nx, ny, nz = size
    k, j, i = np.meshgrid(np.arange(nz), np.arange(ny), np.arange(nx), indexing="ij")
    pts = np.stack([i, j, k], -1) * np.array(spacing) + np.array(origin)
    return img, pts


def tube(pts, p0, direction, radius, half_length):
    d = np.asarray(direction, float) / np.linalg.norm(direction)
    rel = pts - np.asarray(p0, float)
    along = rel @ d
    lateral = np.linalg.norm(rel - along[..., None] * d, axis=-1)
    return (lateral <= radius) & (np.abs(along) <= half_length)


@pytest.mark.parametrize("direction", [(0, 0, 1), (1, 0.4, 2.0), (0.3, 1, 0.2)])
def test_oblique_tube_on_anisotropic_grid(direction):
    img, pts = grid((0.7, 0.8, 1.25), (90, 80, 70), (-30, -30, -40))
    mask = tube(pts, (1, 2, 3), direction, 12.3, 30)
    d = max_diameter(mask, img)
    assert d["diameter_mm"] == pytest.approx(24.6, abs=0.25)
    axis = np.asarray(direction, float) / np.linalg.norm(direction)
    assert abs(np.dot(d["axis_lps"], axis)) > 0.995
    assert d["inscribed_diameter_mm"] <= 24.6 + 1.3
    assert np.linalg.norm(np.cross(np.array(d["center_lps_mm"]) - (1, 2, 3), axis)) < 1.0


def test_neighbouring_vessel_is_not_counted():
    img, pts = grid((1.0, 1.0, 1.0), (80, 50, 60), (-40, -25, -30))
    mask = tube(pts, (-12, 0, 0), (0, 0, 1), 10, 25) | tube(pts, (12, 0, 0), (0, 0, 1), 8, 25)
    d = max_diameter(mask, img)                     # 4 mm gap between the two tubes
    assert d["diameter_mm"] == pytest.approx(20.0, abs=0.3)


def test_centerline_restricts_to_the_ascending_aorta():
    img, pts = grid((1.0, 1.0, 1.0), (90, 40, 90), (-45, -20, -40))
    ascending = tube(pts, (-20, 0, 0), (0, 0, 1), 12, 25)
    descending = tube(pts, (20, 0, 0), (0, 0, 1), 15, 35)     # wider, but descending
    arch = tube(pts, (0, 0, 30), (1, 0, 0), 9, 22)
    mask = ascending | descending | arch
    line = np.array([[-20, 0, z] for z in range(-20, 31, 5)] + [[x, 0, 33] for x in (-10, 0, 10)]
                    + [[20, 0, z] for z in range(30, -31, -5)], float)
    assert max_diameter(mask, img)["diameter_mm"] == pytest.approx(30.0, abs=0.4)
    d = max_diameter(mask, img, line)
    assert d["diameter_mm"] == pytest.approx(24.0, abs=0.4)
    assert d["region"].startswith("ascending aorta")


def test_empty_mask_is_refused():
    img, pts = grid((1.0, 1.0, 1.0), (10, 10, 10))
    with pytest.raises(InputError, match="empty"):
        max_diameter(np.zeros((10, 10, 10), bool), img)
