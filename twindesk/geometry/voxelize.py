"""Triangle surfaces to masks: the lumen a (possibly open) surface model encloses.

Surface models of vessels and chambers are usually cut open where flow enters and leaves
(pulmonary veins, the mitral valve). :func:`surface_mask` closes every boundary loop with a
flat cap (``vtkFillHolesFilter``), makes the triangle orientation consistent, and marks the
voxels inside the closed surface (``vtkPolyDataToImageStencil``: scan conversion, exact to
the voxel centre). The caps are returned as an *open* mask: analyses that must know where
the model was cut (a blind appendage versus an open vein) read it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twindesk.errors import InputError
from twindesk.imaging.grid import Grid


@dataclass
class SurfaceMask:
    """Inside mask and cut-open caps ``[z, y, x]`` on an axis-aligned LPS ``grid``."""

    mask: np.ndarray
    open_mask: np.ndarray
    grid: Grid
    n_open_boundaries: int


def boundary_loops(poly) -> list[np.ndarray]:
    """The surface's open boundaries as point arrays (LPS mm), one per loop."""
    import pyvista as pv

    mesh = pv.wrap(poly)
    edges = mesh.extract_feature_edges(boundary_edges=True, feature_edges=False,
                                       manifold_edges=False, non_manifold_edges=False)
    if edges.n_points == 0:
        return []
    conn = edges.connectivity()
    ids = np.asarray(conn.point_data["RegionId"])
    pts = np.asarray(conn.points, float)
    return [pts[ids == r] for r in np.unique(ids)]


def closed_surface(poly):
    """The surface with its holes capped and triangles consistently oriented outward."""
    import pyvista as pv
    from twindesk.geometry import vtk_classes as vtk

    fill = vtk.vtkFillHolesFilter()
    fill.SetInputData(poly)
    fill.SetHoleSize(1.0e9)
    fill.Update()
    closed = pv.wrap(fill.GetOutput()).clean().triangulate()
    return closed.compute_normals(auto_orient_normals=True, consistent_normals=True,
                                  cell_normals=False, split_vertices=False)


def _cap_voxels(loops, grid: Grid, mask: np.ndarray) -> np.ndarray:
    """Voxels of ``mask`` within a voxel of a cap (the loop's plane, inside its polygon)."""
    from matplotlib.path import Path as MplPath

    from twindesk.imaging.reslice import plane_frame

    out = np.zeros_like(mask)
    idx = np.argwhere(mask)
    pts = grid.zyx_to_lps(idx.astype(float))
    tol = 1.5 * max(grid.spacing_mm)
    for loop in loops:
        if len(loop) < 3:
            continue
        c = loop.mean(axis=0)
        _, _, vt = np.linalg.svd(loop - c, full_matrices=False)
        u, v, n = plane_frame(vt[2])
        ab = np.column_stack([(loop - c) @ u, (loop - c) @ v])
        order = np.argsort(np.arctan2(ab[:, 1], ab[:, 0]))
        d = pts - c
        near = np.abs(d @ n) <= tol
        if not np.any(near):
            continue
        path = MplPath(ab[order])
        inside = path.contains_points(np.column_stack([d[near] @ u, d[near] @ v]),
                                      radius=tol)
        sel = idx[near][inside]
        out[tuple(sel.T)] = True
    return out


def surface_mask(poly, spacing_mm: float = 0.5, pad_mm: float = 3.0) -> SurfaceMask:
    """Voxelise the lumen of a triangle surface (LPS mm) on an isotropic grid.

    Raises :class:`InputError` when the surface encloses nothing.
    """
    from twindesk.geometry import vtk_classes as vtk
    from vtkmodules.util import numpy_support as ns

    if poly.GetNumberOfPoints() < 4 or poly.GetNumberOfCells() < 4:
        raise InputError("the surface has too few triangles to enclose a lumen",
                         "check the surface file")
    loops = boundary_loops(poly)
    closed = closed_surface(poly)
    b = np.asarray(closed.bounds, float).reshape(3, 2)
    lo = b[:, 0] - pad_mm
    n = np.ceil((b[:, 1] - b[:, 0] + 2 * pad_mm) / spacing_mm).astype(int) + 1
    img = vtk.vtkImageData()
    img.SetOrigin(*lo)
    img.SetSpacing(spacing_mm, spacing_mm, spacing_mm)
    img.SetDimensions(*(int(k) for k in n))
    img.AllocateScalars(vtk.VTK_UNSIGNED_CHAR, 1)
    ns.vtk_to_numpy(img.GetPointData().GetScalars())[:] = 1
    sten = vtk.vtkPolyDataToImageStencil()
    sten.SetInputData(closed)
    sten.SetOutputOrigin(*lo)
    sten.SetOutputSpacing(spacing_mm, spacing_mm, spacing_mm)
    sten.SetOutputWholeExtent(0, int(n[0]) - 1, 0, int(n[1]) - 1, 0, int(n[2]) - 1)
    cut = vtk.vtkImageStencil()
    cut.SetInputData(img)
    cut.SetStencilConnection(sten.GetOutputPort())
    cut.ReverseStencilOff()
    cut.SetBackgroundValue(0)
    cut.Update()
    mask = ns.vtk_to_numpy(cut.GetOutput().GetPointData().GetScalars()).reshape(
        int(n[2]), int(n[1]), int(n[0])) > 0
    if not mask.any():
        raise InputError("the surface encloses no voxel", "check the surface file and units")
    grid = Grid(tuple(float(v) for v in lo), (spacing_mm,) * 3,
                (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0), tuple(int(k) for k in n))
    return SurfaceMask(mask, _cap_voxels(loops, grid, mask), grid, len(loops))
