"""Mask editing operations with numbers: brush volumes, threshold windows, holes, islands."""

from __future__ import annotations

import numpy as np
import pytest

from twindesk.errors import InputError
from twindesk.imaging import edit
from twindesk.imaging.grid import Grid


@pytest.fixture
def grid():
    return Grid((-30.0, -30.0, -30.0), (0.5, 0.5, 0.5), (1, 0, 0, 0, 1, 0, 0, 0, 1), (121, 121, 121))


def test_paint_and_erase_a_ball(grid):
    empty = np.zeros(grid.shape, bool)
    ball = edit.paint(empty, grid, (1.0, -2.0, 3.0), 8.0)
    vol = ball.sum() * 0.125
    assert vol == pytest.approx(4 / 3 * np.pi * 8.0 ** 3, rel=0.01)
    c = np.argwhere(ball).mean(axis=0)
    assert np.allclose(grid.zyx_to_lps(c)[0], (1.0, -2.0, 3.0), atol=0.05)
    hole = edit.erase(ball, grid, (1.0, -2.0, 3.0), 4.0)
    assert (ball.sum() - hole.sum()) * 0.125 == pytest.approx(4 / 3 * np.pi * 4.0 ** 3, rel=0.02)
    assert not empty.any()  # inputs are never modified


def test_threshold_inside_a_sphere_only(grid):
    hu = np.zeros(grid.shape, np.int16)
    hu[:, :, 60:] = 500  # x >= 0 bright
    mask = np.ones(grid.shape, bool)
    out = edit.threshold(mask, hu, edit.sphere_region(grid, (0.0, 0.0, 0.0), 5.0), 200, 900)
    changed = mask & ~out
    # inside the sphere the dark half (x < 0) leaves the mask; nothing outside changes
    zz, yy, xx = np.indices(grid.shape)
    lps = grid.zyx_to_lps(np.stack([zz.ravel(), yy.ravel(), xx.ravel()], 1))
    expected = (np.linalg.norm(lps, axis=1) <= 5.0) & (lps[:, 0] < 0)
    assert np.array_equal(changed.ravel(), expected)
    # about half a 5 mm ball (less the voxel slab on x = 0, which is bright)
    assert changed.sum() * 0.125 == pytest.approx(0.5 * 4 / 3 * np.pi * 125 - 0.25 * np.pi * 25,
                                                  rel=0.03)


def test_threshold_in_a_box(grid):
    hu = np.full(grid.shape, 300, np.int16)
    out = edit.threshold(np.zeros(grid.shape, bool), hu,
                         edit.box_region(grid, ((-2, -2, -2), (2, 3, 4))), 200, 400)
    assert out.sum() == 9 * 11 * 13  # voxel centres inside the closed box


def test_fill_holes_keep_largest_and_smooth(grid):
    shell = edit.paint(np.zeros(grid.shape, bool), grid, (0, 0, 0), 10.0)
    shell = edit.erase(shell, grid, (0, 0, 0), 6.0)
    filled = edit.fill_holes(shell)
    assert filled.sum() * 0.125 == pytest.approx(4 / 3 * np.pi * 1000, rel=0.01)
    two = edit.paint(filled, grid, (0, 0, 22.0), 3.0)
    largest = edit.keep_largest(two)
    assert np.array_equal(largest, filled)
    bumpy = filled.copy()
    bumpy[tuple(grid.lps_to_zyx([10.25, 0, 0]).round().astype(int)[0])] = True  # a spike
    smooth = edit.smooth(bumpy, grid, 1.0)
    assert smooth.sum() == pytest.approx(filled.sum(), rel=0.02)
    assert not smooth[tuple(grid.lps_to_zyx([10.25, 0, 0]).round().astype(int)[0])]


def test_bad_arguments_are_input_errors(grid):
    m = np.zeros(grid.shape, bool)
    with pytest.raises(InputError, match="radius"):
        edit.paint(m, grid, (0, 0, 0), -1.0)
    with pytest.raises(InputError, match="outside the image"):
        edit.paint(m, grid, (500, 0, 0), 2.0)
    with pytest.raises(InputError, match="LOW,HIGH"):
        edit.threshold(m, m.astype(np.int16), edit.sphere_region(grid, (0, 0, 0), 2), 900, 200)
    with pytest.raises(InputError, match="unknown edit"):
        edit.apply_edit(m, None, grid, edit.Edit("twist"))
