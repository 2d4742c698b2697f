"""Centerlines and diameters of straight and curved synthetic tubes of known size."""

from __future__ import annotations

import numpy as np
import pytest

from tests.anatomy_synth import tube_mask
from twindesk.geometry.centerline import compute
from twindesk.imaging.grid import Grid


def _axis_distance(points, axis):
    from scipy.spatial import cKDTree

    dense = np.concatenate([np.linspace(axis[i], axis[i + 1], 20) for i in range(len(axis) - 1)])
    return cKDTree(dense).query(points)[0]


@pytest.mark.parametrize("curved", [False, True], ids=["straight", "curved"])
def test_tube_diameters_within_0_3_mm(curved):
    radius = 8.0
    img, mask, axis = tube_mask(0.6, radius, 70.0, curved=curved)
    line = compute(mask, Grid.of(img))
    main = line.main
    s = main.arc_length_mm
    inner = (s >= radius) & (s <= s[-1] - radius)  # sections within a radius of a cap are cut
    d = main.diameter_area_mm[inner]
    assert np.abs(d - 2 * radius).max() <= 0.3
    # min / max diameters keep the binary mask's voxel staircase (worst for a grid-aligned
    # tube: up to half a voxel per side); on average within 0.4 mm at 0.6 mm voxels
    assert np.abs(main.diameter_min_mm[inner] - 2 * radius).mean() <= 0.4
    assert np.abs(main.diameter_max_mm[inner] - 2 * radius).mean() <= 0.4
    assert np.abs(main.radius_mm[inner] - radius).max() <= 0.5
    assert _axis_distance(main.points_lps_mm[inner], axis).max() <= 0.3
    expected = 70.0 - 4.0 if not curved else 40.0 * (np.pi - 0.2)
    assert main.arc_length_mm[-1] == pytest.approx(expected, abs=3.0)
    assert line.branches == []
    # tangents are unit vectors along the axis
    assert np.allclose(np.linalg.norm(main.tangent_lps, axis=1), 1.0, atol=1e-6)


def test_branch_of_a_y_shaped_vessel():
    from tests.anatomy_synth import polyline_tube
    import SimpleITK as sitk

    sp = 0.8
    lo = np.array([-25.0, -15.0, -5.0])
    n = (np.array([50.0, 30.0, 95.0]) / sp).astype(int)
    zz, yy, xx = np.meshgrid(*[lo[k] + sp * np.arange(n[k]) for k in (2, 1, 0)], indexing="ij")
    p = np.stack([xx.ravel(), yy.ravel(), zz.ravel()], 1)
    trunk = polyline_tube(p, np.array([[0, 0, 0.0], [0, 0, 90.0]]), np.array([9.0, 9.0]))
    side = polyline_tube(p, np.array([[0, 0, 45.0], [20.0, 0, 60.0]]), np.array([4.0, 4.0]))
    inside = (np.minimum(trunk, side) <= 0) & (p[:, 2] >= 0) & (p[:, 2] <= 85.0)
    mask = inside.reshape(zz.shape)
    img = sitk.GetImageFromArray(mask.astype(np.uint8))
    img.SetOrigin(tuple(lo))
    img.SetSpacing((sp,) * 3)
    line = compute(mask, Grid.of(img))
    assert len(line.branches) == 1
    b = line.branches[0]
    tip = b.points_lps_mm[-1]
    assert np.linalg.norm(tip - np.array([20.0, 0.0, 60.0])) <= 6.0
    # the branch's axis leaves the trunk's lumen (radius 9) at z = 45 + 9 * 15 / 20
    main = line.main
    k = int(np.argmin(np.abs(main.arc_length_mm - b.junction_arc_length_mm)))
    assert main.points_lps_mm[k, 2] == pytest.approx(51.75, abs=4.0)
    far = b.arc_length_mm > b.arc_length_mm[-1] - 12.0
    assert np.median(b.diameter_area_mm[far]) == pytest.approx(8.0, abs=0.6)
