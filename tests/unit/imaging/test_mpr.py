"""Reslicing against an analytic volume: v(lps) = a·lps + b is reproduced exactly by any
correct plane sampler (array slicing or trilinear interpolation), so every pixel can be
checked against its own pixel → LPS mapping."""

import numpy as np
import pytest

from twindesk.imaging.curved import curved_mpr, resample_polyline, rotation_minimizing_frame
from twindesk.imaging.mpr import (VolumeGeometry, oblique_slice, plane_axes,
                                      standard_slice, value_at)

A = np.array([0.7, -1.3, 2.1])
B = 5.0


def linear_volume(size, spacing, origin, direction):
    geom = VolumeGeometry(size=size, spacing_mm=spacing, origin_lps_mm=origin,
                          direction=tuple(np.asarray(direction, float).ravel()))
    k, j, i = np.mgrid[0:size[2], 0:size[1], 0:size[0]]
    ijk = np.stack([i, j, k], axis=-1).astype(float)
    return (geom.index_to_lps(ijk) @ A + B).astype(np.float64), geom


GEOMETRIES = {
    "identity": ((20, 16, 12), (0.8, 0.9, 2.5), (-10.0, 30.0, 100.0), np.eye(3)),
    "flipped": ((20, 16, 12), (0.8, 0.9, 2.5), (10.0, 30.0, 100.0), np.diag([-1.0, -1.0, 1.0])),
    "permuted": ((12, 20, 16), (2.5, 0.8, 0.9), (0.0, 0.0, 0.0),
                 np.array([[0, 1, 0], [0, 0, 1], [1, 0, 0]], float)),
}


def expected(img, mask_inside):
    rows, cols = img.pixels.shape
    r, c = np.mgrid[0:rows, 0:cols]
    lps = img.origin_lps_mm + c[..., None] * img.col_step_lps_mm + r[..., None] * img.row_step_lps_mm
    return lps @ A + B


@pytest.mark.parametrize("name", sorted(GEOMETRIES))
@pytest.mark.parametrize("plane", ["axial", "coronal", "sagittal"])
def test_standard_slices_match_mapping(name, plane):
    vol, geom = linear_volume(*GEOMETRIES[name])
    point = geom.index_to_lps(np.array([7.0, 5.0, 6.0]))
    img = standard_slice(vol, geom, plane, point)
    assert img.inside
    np.testing.assert_allclose(img.pixels, expected(img, None), atol=1e-9)
    # the plane passes through the crosshair point
    assert abs(img.lps_to_pixel(point)[2]) < 1e-9


@pytest.mark.parametrize("plane,right,down", [("axial", "L", "P"), ("coronal", "L", "I"),
                                              ("sagittal", "P", "I")])
def test_display_convention(plane, right, down):
    from twindesk.ui.coords import direction_letters

    vol, geom = linear_volume(*GEOMETRIES["flipped"])
    img = standard_slice(vol, geom, plane, geom.center_lps())
    assert direction_letters(img.col_step_lps_mm) == right
    assert direction_letters(img.row_step_lps_mm) == down


def test_oblique_volume_is_resampled_exactly():
    c, s = np.cos(0.4), np.sin(0.4)
    rot = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])
    vol, geom = linear_volume((20, 20, 12), (1.0, 1.0, 2.0), (0.0, 0.0, 0.0), rot)
    assert geom.axis_permutation() is None
    img = standard_slice(vol, geom, "axial", geom.center_lps())
    inside = img.pixels != img.pixels.min()
    ijk = geom.lps_to_index(np.stack(np.meshgrid(0, 0, 0), -1).reshape(-1, 3))  # smoke: API
    assert ijk.shape == (1, 3)
    rows, cols = img.pixels.shape
    r, cc = np.mgrid[0:rows, 0:cols]
    lps = img.origin_lps_mm + cc[..., None] * img.col_step_lps_mm + r[..., None] * img.row_step_lps_mm
    idx = geom.lps_to_index(lps)
    well_inside = np.all((idx > 0.01) & (idx < np.array(geom.size) - 1.01), axis=-1)
    assert well_inside.sum() > 100 and inside[well_inside].all()
    np.testing.assert_allclose(img.pixels[well_inside], (lps @ A + B)[well_inside], atol=1e-6)


def test_oblique_slice_any_plane():
    vol, geom = linear_volume(*GEOMETRIES["flipped"])
    normal = np.array([0.3, -0.5, 0.8])
    center = geom.center_lps()
    img = oblique_slice(vol, geom, center, normal, spacing_mm=0.5, half_width_mm=4.0)
    np.testing.assert_allclose(img.normal_lps, normal / np.linalg.norm(normal), atol=1e-12)
    np.testing.assert_allclose(img.pixels, expected(img, None), atol=1e-9)
    col, down = plane_axes(normal)
    assert abs(col @ down) < 1e-12 and down[2] < 0  # screen-down points inferior


def test_value_at_and_outside():
    vol, geom = linear_volume(*GEOMETRIES["identity"])
    p = geom.index_to_lps(np.array([3.0, 4.0, 5.0]))
    assert value_at(vol, geom, p) == pytest.approx(p @ A + B)
    assert value_at(vol, geom, p + 1000) is None
    far = standard_slice(vol, geom, "axial", p + np.array([0, 0, 500.0]))
    assert not far.inside


def test_curved_mpr_straight_and_arc():
    vol, geom = linear_volume((30, 30, 30), (1.0, 1.0, 1.0), (0.0, 0.0, 0.0), np.eye(3))
    line = np.array([[15.0, 15.0, 5.0], [15.0, 15.0, 25.0]])
    cpr = curved_mpr(vol, geom, line, half_width_mm=5.0, spacing_mm=1.0)
    assert cpr.pixels.shape == (21, 11)
    for row in (0, 10, 20):
        for col in (0, 5, 10):
            p = cpr.pixel_to_lps(col, row)
            assert cpr.pixels[row, col] == pytest.approx(p @ A + B, abs=1e-9)
            back = cpr.lps_to_pixel(p)
            assert back[0] == pytest.approx(col) and back[1] == pytest.approx(row)
    # a planar arc: the rotation-minimising lateral vector stays the plane normal (no twist)
    t = np.linspace(0, np.pi, 200)
    arc = np.stack([10 * np.cos(t), 10 * np.sin(t), np.zeros_like(t)], axis=1)
    tan, lat = rotation_minimizing_frame(resample_polyline(arc, 0.5))
    np.testing.assert_allclose(np.abs(lat[:, 2]), 1.0, atol=1e-9)
    np.testing.assert_allclose(np.einsum("ij,ij->i", tan, lat), 0.0, atol=1e-9)
