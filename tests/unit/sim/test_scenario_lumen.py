"""The post-TAVR lumen: a straight tube mask restricted to a synthetic deployed frame (a
ring lattice of smaller radius over part of the tube) keeps, in the frame's range, exactly
the frame's cross-section (to a voxel) and is unchanged elsewhere."""

from __future__ import annotations

import numpy as np
import pytest

from twindesk.imaging.grid import Grid

SPACING_MM = 0.5
TUBE_R_MM = 10.0


def _tube(n_z=120):
    n_xy = int(2 * 12.0 / SPACING_MM)
    grid = Grid((-12.0, -12.0, 0.0), (SPACING_MM,) * 3, (1, 0, 0, 0, 1, 0, 0, 0, 1),
                (n_xy, n_xy, n_z))
    zyx = np.indices(grid.shape).reshape(3, -1).T
    p = grid.zyx_to_lps(zyx)
    mask = (np.hypot(p[:, 0], p[:, 1]) <= TUBE_R_MM).reshape(grid.shape)
    return grid, mask


def _frame(a_mm, b_mm, z0, z1, rings=6, per_ring=24, centre=(0.0, 0.0)):
    """Vertex rings (ellipse of semi-axes a, b) plus strut-interior points (level -1)."""
    t = np.linspace(0, 2 * np.pi, per_ring, endpoint=False)
    pts, lev = [], []
    for i, z in enumerate(np.linspace(z0, z1, rings)):
        pts.append(np.c_[centre[0] + a_mm * np.cos(t), centre[1] + b_mm * np.sin(t),
                         np.full(per_ring, z)])
        lev.append(np.full(per_ring, i))
    pts.append(np.c_[np.full(5, 0.3 * a_mm), np.zeros(5), np.linspace(z0, z1, 5)])
    lev.append(np.full(5, -1))
    return np.vstack(pts), np.concatenate(lev)


def _polygon_area(a, b, n=24):
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    x, y = a * np.cos(t), b * np.sin(t)
    return 0.5 * abs(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


@pytest.mark.parametrize("a_mm,b_mm,centre", [(6.0, 6.0, (0.0, 0.0)),
                                              (7.0, 5.0, (1.5, -1.0))])
def test_lumen_follows_the_frame_in_its_range_only(a_mm, b_mm, centre):
    from twindesk.sim.scenarios.lumen import frame_sections, restrict_to_frame

    grid, mask = _tube()
    z0, z1, comm = 10.0, 40.0, 30.0
    pts, lev = _frame(a_mm, b_mm, z0, z1, centre=centre)
    # annulus centre at z = 5 on the axis: heights are z - 5
    fr = frame_sections(pts, lev, (centre[0], centre[1], 5.0), (0.0, 0.0, 1.0))
    assert fr.extent_mm == pytest.approx((z0 - 5.0, z1 - 5.0))
    assert fr.ring_area_mm2(0) == pytest.approx(_polygon_area(a_mm, b_mm))
    out, stats = restrict_to_frame(mask, grid, fr, comm - 5.0)
    assert stats["frame_range_mm"] == [pytest.approx(5.0), pytest.approx(25.0)]
    z = grid.zyx_to_lps(np.c_[np.arange(grid.shape[0]), np.zeros((grid.shape[0], 2))])[:, 2]
    area = out.sum(axis=(1, 2)) * SPACING_MM ** 2
    native = mask.sum(axis=(1, 2)) * SPACING_MM ** 2
    inside = (z >= z0) & (z <= comm)
    want = _polygon_area(a_mm, b_mm)
    perimeter = 2 * np.pi * np.sqrt((a_mm ** 2 + b_mm ** 2) / 2)
    # digitisation: at most half a voxel width along the perimeter
    assert np.all(np.abs(area[inside] - want) <= 0.5 * SPACING_MM * perimeter)
    assert abs(area[inside].mean() - want) <= 0.05 * want        # on average within 5 %
    # unchanged outside the range (below the inflow edge, above the commissures)
    assert np.array_equal(out[~inside], mask[~inside])
    assert native[inside][0] > 1.5 * area[inside].max()
    assert stats["removed_voxels"] == int(mask.sum() - out.sum()) > 0


def test_other_vessels_at_the_frame_heights_are_kept():
    """A second vessel beside the root (as the descending aorta) crossing the frame's heights
    is a separate piece of the slab and stays whole; the root is still restricted."""
    from twindesk.sim.scenarios.lumen import frame_sections, restrict_to_frame

    grid = Grid((-12.0, -12.0, 0.0), (SPACING_MM,) * 3, (1, 0, 0, 0, 1, 0, 0, 0, 1),
                (48 * 2 + 48, 48, 100))
    zyx = np.indices(grid.shape).reshape(3, -1).T
    p = grid.zyx_to_lps(zyx)
    root = np.hypot(p[:, 0], p[:, 1]) <= TUBE_R_MM
    other = np.hypot(p[:, 0] - 45.0, p[:, 1]) <= 8.0
    mask = (root | other).reshape(grid.shape)
    other = other.reshape(grid.shape)
    pts, lev = _frame(6.0, 6.0, 10.0, 40.0)
    fr = frame_sections(pts, lev, (0.0, 0.0, 5.0), (0.0, 0.0, 1.0))
    out, stats = restrict_to_frame(mask, grid, fr, 25.0)
    assert np.array_equal(out[other], mask[other])           # the other vessel untouched
    kept = (out & ~other).sum(axis=(1, 2)) * SPACING_MM ** 2
    assert kept[40] == pytest.approx(_polygon_area(6.0, 6.0), abs=0.5 * SPACING_MM * 12 * np.pi)
    assert stats["removed_voxels"] > 0


def test_tilted_frame_axis_is_fitted_from_its_rings():
    from twindesk.sim.scenarios.lumen import frame_sections

    pts, lev = _frame(6.0, 6.0, 0.0, 20.0)
    c = np.cos(np.radians(10)), np.sin(np.radians(10))
    rot = np.array([[1, 0, 0], [0, c[0], -c[1]], [0, c[1], c[0]]])
    fr = frame_sections(pts @ rot.T, lev, (0.0, 0.0, 0.0), (0.0, 0.0, 1.0))
    assert fr.axis_lps == pytest.approx(rot[:, 2], abs=1e-9)
    for i in range(len(fr.height_mm)):
        assert fr.radius_mm[i] == pytest.approx(6.0)


def test_commissures_below_the_frame_are_rejected():
    from twindesk.errors import InputError
    from twindesk.sim.scenarios.lumen import frame_sections, restrict_to_frame

    grid, mask = _tube(40)
    pts, lev = _frame(6.0, 6.0, 10.0, 18.0)
    fr = frame_sections(pts, lev, (0.0, 0.0, 0.0), (0.0, 0.0, 1.0))
    with pytest.raises(InputError, match="commissure height"):
        restrict_to_frame(mask, grid, fr, 5.0)


def test_cli_lumen_meshes_the_device_scenario_inside_the_frame(run_cli, tmp_path):
    from twindesk.model.case import Case
    from twindesk.io.flow_mesh import read_flow_mesh

    from .lumen_case import DEVICE, make_placed_tube_case

    case = make_placed_tube_case(tmp_path)
    r = run_cli("scenario", "lumen", case, "baseline", "--json", schema="scenario-lumen")
    assert r.code == 2 and "has no device" in r.err
    r = run_cli("scenario", "add", case, "post", "--device", DEVICE, "--size", "23", "--json",
                schema="scenario-add")
    assert r.code == 0
    r = run_cli("scenario", "lumen", case, "post", "--json", schema="scenario-lumen")
    assert r.code == 2
    assert f"run twindesk place {case} --device {DEVICE} --size 23 first" in r.err
    r = run_cli("scenario", "add", case, "post26", "--device", DEVICE, "--size", "26",
                "--json", schema="scenario-add")
    assert r.code == 0
    r = run_cli("scenario", "lumen", case, "post26", "--json", schema="scenario-lumen")
    assert r.code == 0, r.err
    lum = r.json["lumen"]
    # frame rings at 6..30 mm (annulus at 8), commissures 16 mm up: heights -2..16 mm
    assert lum["frame_range_mm"] == [-2.0, 16.0]
    # per 1 mm slice the 12-gon of radius 7 keeps 148 of the tube's 316 voxel centres
    # (17 to 19 slices: the range ends fall on voxel centres)
    assert 17 * 168 <= lum["removed_voxels"] <= 19 * 168
    assert {x["kind"] for x in r.json["regions"]} >= {"inlet", "outlet", "wall"}
    with Case.open(case) as c:
        assert c.artifact("mesh:aorta@post26")["meta"]["device"] == DEVICE
        mesh = read_flow_mesh(c, "aorta@post26")        # what scenario_mesh reads
        # no mesh point sits outside the frame within its range (surface smoothing: 1 voxel)
        p = mesh.points_lps_mm
        z = (p[:, 2] > 7.0) & (p[:, 2] < 23.0)
        assert np.hypot(p[z, 0], p[z, 1]).max() <= 7.0 + 1.0
        assert np.hypot(p[~z, 0], p[~z, 1]).max() > 9.0
    # placing the device again leaves the built lumen stale, and the 3D run says so
    from twindesk.sim.pulsatile.case_job import stale_lumen_notes

    from .lumen_case import replace_placement

    with Case.open(case) as c:
        assert stale_lumen_notes(c, "mesh:aorta@post26") == []
    replace_placement(case, radius_mm=6.5)
    with Case.open(case) as c:
        assert "rebuild it with 'twindesk scenario lumen CASE post26'" in \
            stale_lumen_notes(c, "mesh:aorta@post26")[0]
