"""Quick display surfaces of label masks (for the 3D view; not meshes for simulation).

Flying edges (Schroeder W, Maynard R, Geveci B. "Flying edges: a high-performance scalable
isocontouring algorithm". IEEE LDAV 2015) at the 0.5 level of the binary mask, cropped to the
mask's bounding box, then a windowed-sinc smoothing (Taubin G et al., 1996) that does not
shrink the surface. Points are LPS mm.
"""

from __future__ import annotations

import numpy as np

from twindesk.imaging.mpr import VolumeGeometry

SMOOTH_ITERATIONS = 20
SMOOTH_PASSBAND = 0.1


def mask_surface(mask: np.ndarray, geometry: VolumeGeometry, smooth: bool = True):
    """Triangle surface (pyvista PolyData, LPS mm) of a uint8 mask ``[k, j, i]``; None if empty."""
    import pyvista as pv

    nz = np.argwhere(mask)
    if len(nz) == 0:
        return None
    lo = np.maximum(nz.min(0) - 1, 0)
    hi = np.minimum(nz.max(0) + 2, np.asarray(mask.shape))
    crop = np.zeros(tuple(hi - lo + 2), np.uint8)  # one empty voxel around: closed surface
    crop[1:-1, 1:-1, 1:-1] = mask[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]]
    start_ijk = np.array([lo[2], lo[1], lo[0]], float) - 1.0
    grid = pv.ImageData(dimensions=crop.shape[::-1], spacing=geometry.spacing_mm,
                        origin=geometry.index_to_lps(start_ijk),
                        direction_matrix=np.asarray(geometry.direction, float).reshape(3, 3))
    grid.point_data["mask"] = crop.ravel()  # C order [k, j, i] = VTK's x-fastest order
    surface = grid.contour([0.5], scalars="mask", method="flying_edges")
    if surface.n_points == 0:
        return None
    if smooth:
        surface = surface.smooth_taubin(n_iter=SMOOTH_ITERATIONS, pass_band=SMOOTH_PASSBAND)
    return surface.compute_normals(auto_orient_normals=False, consistent_normals=False)
