"""Putting a working-grid mask onto the case's own grid, with the edge re-found there.

The topology (which lumen, where it is cut) comes from the working grid; the edge is
re-thresholded on the native voxels at the same local half maximum, inside a band of one
working voxel around the working mask, so a fine scan keeps its fine edge.
"""

from __future__ import annotations

import numpy as np

from twindesk.imaging import blood, tubemask
from twindesk.imaging.grid import Grid, array, image_like, resample_mask


def same_grid(a: Grid, b: Grid, tol: float = 1e-4) -> bool:
    return (a.size == b.size and np.allclose(a.spacing_mm, b.spacing_mm, atol=tol)
            and np.allclose(a.origin_lps_mm, b.origin_lps_mm, atol=tol)
            and np.allclose(a.direction, b.direction, atol=tol))


def to_native(working: blood.Working, mask_w: np.ndarray, image, levels, anchor_lps_mm
              ) -> np.ndarray:
    """``mask_w`` (working grid) on ``image``'s grid as bool ``[z, y, x]``.

    ``levels`` carries ``tissue_hu``, ``low_hu`` and ``core_hu``; ``anchor_lps_mm`` are points
    that must be inside the result (its connected component is kept).
    """
    import SimpleITK as sitk
    from scipy import ndimage as ndi

    g_n = Grid.of(image)
    if same_grid(working.grid, g_n):
        return mask_w.copy()
    g_w = working.grid
    band_w = ndi.binary_dilation(mask_w, structure=np.ones((3, 3, 3), bool))
    inner_w = ndi.binary_erosion(mask_w, structure=np.ones((3, 3, 3), bool))
    # Crop the native image to the mask's box (a fine scan may be huge).
    idx = np.argwhere(band_w)
    corners = np.array([[a, b, c] for a in (idx[:, 0].min(), idx[:, 0].max())
                        for b in (idx[:, 1].min(), idx[:, 1].max())
                        for c in (idx[:, 2].min(), idx[:, 2].max())], float)
    nz = g_n.lps_to_zyx(g_w.zyx_to_lps(corners))
    lo = np.maximum(np.floor(nz.min(axis=0)).astype(int) - 2, 0)
    hi = np.minimum(np.ceil(nz.max(axis=0)).astype(int) + 3, g_n.shape)
    roi = sitk.RegionOfInterest(image, [int(v) for v in (hi - lo)[::-1]],
                                [int(v) for v in lo[::-1]])
    roi_f = sitk.SmoothingRecursiveGaussian(sitk.Cast(roi, sitk.sitkFloat32),
                                            blood.SMOOTH_SIGMA_MM)
    hu = array(roi_f)
    g_r = Grid.of(roi_f)
    band = resample_mask(image_like(band_w.astype(np.uint8), working.image), roi_f)
    inner = resample_mask(image_like(inner_w.astype(np.uint8), working.image), roi_f)
    thr = tubemask.local_threshold(hu, g_r, levels.tissue_hu, levels.low_hu, levels.core_hu)
    sub = ((hu >= thr) & band) | inner
    sub = tubemask.component_touching(sub, g_r.lps_to_zyx(anchor_lps_mm))
    sub = ndi.binary_fill_holes(sub)
    out = np.zeros(g_n.shape, dtype=bool)
    out[tuple(slice(a, b) for a, b in zip(lo, hi))] = sub
    return out
