"""Narrow-band rasteriser: identical to brute force, exact partial volume, PSF and noise."""

from __future__ import annotations

import numpy as np
import pytest

from twindesk.phantom.anatomy import Anatomy
from twindesk.phantom.params import PhantomParams
from twindesk.phantom.raster import Grid, blur_and_noise, occupancy, occupancy_coarse
from twindesk.phantom.shapes import Ellipsoid, SmoothUnion, Sphere


def brute_force(shape, grid):
    k, j, i = np.meshgrid(*(np.arange(n) for n in grid.shape_zyx), indexing="ij")
    d = shape.sdf(grid.points(i.ravel(), j.ravel(), k.ravel())).reshape(grid.shape_zyx)
    return np.clip(0.5 - d / grid.spacing_mm, 0.0, 1.0)


def full(grid, res):
    out = np.zeros(grid.shape_zyx, np.float32)
    if res is not None:
        sl, occs = res
        out[sl] = occs[0]
    return out


@pytest.fixture(scope="module")
def anatomy():
    return Anatomy(PhantomParams())


def test_hierarchy_equals_brute_force_for_analytic_shapes():
    grid = Grid((-40.0, -35.0, -30.0), 0.9, (90, 80, 70))
    axes = np.linalg.qr(np.random.default_rng(3).normal(size=(3, 3)))[0]
    shapes = [Sphere((1.3, -2.0, 0.4), 17.2), Ellipsoid((0, 0, 0), axes, (33.0, 12.0, 9.0)),
              SmoothUnion([Sphere((-10, 0, 0), 10.0), Sphere((12, 4, 0), 9.0)], 8.0)]
    for shape in shapes:
        assert np.abs(full(grid, occupancy(shape, grid)) - brute_force(shape, grid)).max() < 1e-6


def test_hierarchy_equals_brute_force_on_the_aortic_root(anatomy):
    """The root (sinuses, leaflets, coronary ostia) drawn by the narrow band equals a
    voxel-by-voxel evaluation: no surface is missed by the cell classification."""
    root = anatomy.heart.root
    c = root.center
    grid = Grid(tuple(c - 30.0), 0.8, (76, 76, 76))
    for shape in (anatomy.aortic_lumen, anatomy.heart.coronary_blood,
                  [la.shape for la in anatomy.layers() if la.name == "aortic leaflets"][0]):
        diff = np.abs(full(grid, occupancy(shape, grid)) - brute_force(shape, grid))
        assert diff.max() < 1e-6


def test_partial_volume_gives_the_analytic_volume():
    r = 11.3
    grid = Grid((-15.0, -15.0, -15.0), 0.7, (44, 44, 44))
    _, occs = occupancy(Sphere((0.17, -0.2, 0.31), r), grid)
    volume = occs[0].sum() * 0.7**3
    assert volume == pytest.approx(4 / 3 * np.pi * r**3, rel=2e-3)
    # offsets draw shells from the same pass
    _, (outer, inner) = occupancy(Sphere((0, 0, 0), r), grid, (0.0, -2.0))
    assert inner.sum() * 0.7**3 == pytest.approx(4 / 3 * np.pi * (r - 2) ** 3, rel=3e-3)
    assert np.all(inner <= outer + 1e-6)


def test_coarse_sampling_is_close_to_fine():
    grid = Grid((-15.0, -15.0, -15.0), 0.7, (44, 44, 44))
    s = Sphere((0.0, 0.5, 0.0), 11.0)
    fine = full(grid, occupancy(s, grid))
    coarse = full(grid, occupancy_coarse(s, grid))
    assert coarse.sum() == pytest.approx(fine.sum(), rel=0.02)
    assert np.abs(coarse - fine).max() < 0.8


def test_psf_and_noise_are_reproducible_and_calibrated():
    grid = Grid((0.0, 0.0, 0.0), 0.7, (60, 60, 60))
    hu = np.full(grid.shape_zyx, 100.0, np.float32)
    a = blur_and_noise(hu.copy(), grid, 0.34, 25.0, seed=5)
    b = blur_and_noise(hu.copy(), grid, 0.34, 25.0, seed=5)
    c = blur_and_noise(hu.copy(), grid, 0.34, 25.0, seed=6)
    assert a.dtype == np.int16 and np.array_equal(a, b) and not np.array_equal(a, c)
    assert a.mean() == pytest.approx(100.0, abs=0.2)
    assert a.std() == pytest.approx(25.0, rel=0.01)
    # the PSF of a point: Gaussian with the stated sigma (second moment along x)
    for spacing in (0.7, 0.4):
        g = Grid((0.0, 0.0, 0.0), spacing, (21, 21, 21))
        delta = np.zeros(g.shape_zyx, np.float32)
        delta[10, 10, 10] = 3000.0
        psf = blur_and_noise(delta, g, 0.8 / 2.354820045, 0.0, seed=0).astype(float)
        x = (np.arange(21) - 10) * spacing
        prof = psf.sum(axis=(0, 1))                   # marginal along x
        sigma = np.sqrt((prof * x**2).sum() / prof.sum())
        assert sigma == pytest.approx(0.8 / 2.354820045, rel=0.02)
        assert psf.sum() == pytest.approx(3000.0, rel=5e-3)   # integer rounding of the tails
