"""Surface files, their frame conversion, voxelisation with open caps, import-surface."""

from __future__ import annotations

import numpy as np
import pytest

from twindesk.errors import InputError
from twindesk.geometry.voxelize import boundary_loops, surface_mask
from twindesk.io.surface_file import read_surface, to_lps_mm, write_vtp


def _sphere(r=10.0):
    import pyvista as pv

    return pv.Sphere(radius=r, center=(5.0, -3.0, 12.0), theta_resolution=80,
                     phi_resolution=80).triangulate()


def _open_tube(r=6.0, length=40.0):
    import pyvista as pv

    return pv.Cylinder(center=(0, 0, 0), direction=(0, 0, 1), radius=r, height=length,
                       resolution=96, capping=False).triangulate().clean()


def test_closed_sphere_voxel_volume_within_two_percent():
    sm = surface_mask(_sphere(10.0), spacing_mm=0.5)
    vol = sm.mask.sum() * 0.125
    assert vol == pytest.approx(4 / 3 * np.pi * 1000, rel=0.02)
    assert sm.n_open_boundaries == 0 and not sm.open_mask.any()


def test_open_tube_is_capped_and_its_ends_marked_open():
    tube = _open_tube(6.0, 40.0)
    assert len(boundary_loops(tube)) == 2
    sm = surface_mask(tube, spacing_mm=0.5)
    # faceted (96-gon) cylinder volume
    area = 0.5 * 96 * 36.0 * np.sin(2 * np.pi / 96)
    assert sm.mask.sum() * 0.125 == pytest.approx(area * 40.0, rel=0.03)
    z = sm.grid.zyx_to_lps(np.argwhere(sm.open_mask).astype(float))[:, 2]
    assert sm.n_open_boundaries == 2
    assert np.all(np.abs(np.abs(z) - 20.0) < 1.0)       # only next to the two cut ends
    assert (z > 0).any() and (z < 0).any()


def test_frame_and_units_conversion_in_one_place(tmp_path):
    tube = _open_tube()
    path = tmp_path / "t.vtp"
    write_vtp(tube, path)
    back = read_surface(path)
    assert back.GetNumberOfCells() == tube.n_cells
    from vtk.util import numpy_support as ns

    pts = ns.vtk_to_numpy(back.GetPoints().GetData()).copy()
    ras = to_lps_mm(back, "ras", "cm")
    got = ns.vtk_to_numpy(ras.GetPoints().GetData())
    assert np.allclose(got, pts * np.array([-10.0, -10.0, 10.0]))
    with pytest.raises(InputError, match="unknown frame"):
        to_lps_mm(back, "xyz")
    bad = tmp_path / "x.txt"
    bad.write_text("not a surface")
    with pytest.raises(InputError, match="unknown surface format"):
        read_surface(bad)
    with pytest.raises(InputError, match="no such file"):
        read_surface(tmp_path / "missing.vtp")


def test_ras_conversion_keeps_normals_outward():
    import pyvista as pv

    s = pv.wrap(to_lps_mm(_sphere(), "ras"))
    f = np.asarray(s.faces).reshape(-1, 4)[:, 1:]
    p = np.asarray(s.points)
    n = np.cross(p[f[:, 1]] - p[f[:, 0]], p[f[:, 2]] - p[f[:, 0]])
    c = p[f].mean(axis=1) - np.asarray(s.center)
    assert np.all(np.sum(n * c, axis=1) > 0)
