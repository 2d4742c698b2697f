"""Coronary ostium detection on synthetic roots with known branch geometry."""

import numpy as np
import pytest

from twindesk.geometry.annulus import RootFrame
from twindesk.geometry.coronary import _edge_at_wall, detect_ostia
from twindesk.geometry.lumen import LumenVolume

VOXEL_MM = 0.6
R_ROOT_MM = 13.0


def _root_ct(branches, rng_seed=5):
    """A straight root (radius 13 mm, axis z, annulus plane z = 0) with tube branches
    ``(angle_deg, lower_edge_height_mm, diameter_mm, tilt_deg)`` leaving its wall; blood
    350 HU, tissue 40 HU, Gaussian blur (sigma 0.4 mm) and noise (15 HU)."""
    import SimpleITK as sitk
    from scipy import ndimage as ndi

    n = int(70 / VOXEL_MM)
    ax = (np.arange(n) - n / 2) * VOXEL_MM
    z, y, x = np.meshgrid(ax + 15.0, ax, ax, indexing="ij")
    # signed distances (mm, negative inside) of the root and the branches; partial volume
    # from the distance of each voxel centre (exact for a plane parallel to a voxel face)
    sdf = np.maximum(np.hypot(x, y) - R_ROOT_MM, -12.0 - z)
    frame = RootFrame(np.zeros(3), np.array([0.0, 0.0, 1.0]))
    for ang, lower, dia, tilt in branches:
        d = (np.cos(np.radians(tilt)) * frame.direction(ang)
             + np.sin(np.radians(tilt)) * frame.normal_lps)
        r = dia / 2
        # axis through the wall at the centre height: the lower edge meets the wall at
        # ``lower`` (a tilted tube's section in the wall is r / cos(tilt) high)
        p0 = frame.point(lower + r / np.cos(np.radians(tilt)), ang, R_ROOT_MM)
        q = np.stack([x - p0[0], y - p0[1], z - p0[2]], -1)
        t = q @ d
        tube = np.maximum(np.linalg.norm(q - t[..., None] * d, axis=-1) - r,
                          np.maximum(-R_ROOT_MM - t, t - 20.0))
        sdf = np.minimum(sdf, tube)
    hu = 40.0 + 310.0 * np.clip(0.5 - sdf / VOXEL_MM, 0.0, 1.0)
    hu = ndi.gaussian_filter(hu, 0.4 / VOXEL_MM)
    hu += np.random.default_rng(rng_seed).normal(0.0, 15.0, hu.shape)
    img = sitk.GetImageFromArray(hu.astype(np.float32))
    img.SetSpacing((VOXEL_MM,) * 3)
    img.SetOrigin((float(ax[0]), float(ax[0]), float(ax[0] + 15.0)))
    return img


def _run(branches, **kw):
    img = _root_ct(branches, **kw)
    frame = RootFrame(np.zeros(3), np.array([0.0, 0.0, 1.0]))
    hinges = {k: frame.point(0.0, a, R_ROOT_MM) for k, a in
              (("right", 0.0), ("left", 120.0), ("non", 240.0))}
    lv = LumenVolume(img, [0.0, 0.0, 10.0], 34.0, smooth_mm=0.0)
    lv.calibrate([0.0, 0.0, 10.0], [0.0, 0.0, 1.0], R_ROOT_MM)
    return detect_ostia(lv, frame, hinges, stj_height_mm=20.0), frame


def test_radial_branches_lower_edges_and_sides():
    # root frame: 0 deg anterior (-y), 90 deg patient left (+x)
    found, frame = _run([(0.0, 15.5, 3.6, 0.0), (115.0, 12.0, 4.4, 0.0)])
    assert found["right"]["height_mm"] == pytest.approx(15.5, abs=0.2)
    assert found["left"]["height_mm"] == pytest.approx(12.0, abs=0.2)
    assert found["left"]["diameter_mm"] == pytest.approx(4.4, abs=0.6)
    assert abs((found["left"]["angle_deg"] - 115.0 + 180) % 360 - 180) < 4.0
    # the lower-edge point lies on the wall at that height
    p = np.asarray(found["left"]["lower_edge_lps_mm"])
    assert frame.height(p)[0] == pytest.approx(found["left"]["height_mm"])
    assert np.hypot(p[0], p[1]) == pytest.approx(R_ROOT_MM, abs=0.4)
    assert found["right"]["source"] == "auto"


def test_a_rising_branch_is_measured_where_it_leaves_the_wall():
    found, _ = _run([(115.0, 11.0, 4.0, 35.0)])
    assert found["left"]["height_mm"] == pytest.approx(11.0, abs=0.35)
    assert found["right"] is None


def test_no_branch_no_ostium():
    found, _ = _run([])
    assert found["left"] is None and found["right"] is None and found["candidates"] == 0


def test_edge_extrapolation_rules():
    d = np.array([1.4, 2.1, 2.8, 3.5])
    assert _edge_at_wall(d, 12.0 + 0.7 * d) == pytest.approx(12.0)     # rising: to the wall
    flat = np.array([13.01, 13.09, 13.12, 13.06])                      # noise: the mean
    assert _edge_at_wall(d, flat) == pytest.approx(flat.mean())
    assert _edge_at_wall(d[:2], flat[:2]) == pytest.approx(flat[:2].mean())
