"""Maximum aortic diameter from a lumen mask on its own (native) grid.

Used by the follow-up comparison until the aortic-root measurement room provides the
ascending aorta diameter; baseline and follow-up are measured by the same method, each on
its own grid, so the growth does not depend on registration or resampling.

Method
------
1. The Euclidean distance from every lumen voxel to the nearest background voxel (in mm,
   anisotropic spacing honoured) gives the largest inscribed sphere; its centre is the
   widest point of the lumen (restricted to the ascending aorta when a centerline is given:
   the part from its first point, the root, up to its most superior point, the arch apex).
2. The local vessel axis at that point is the principal direction of the lumen's core
   (voxels at least 0.7 × the largest nearby inscribed radius from the wall: a thin tube
   around the centerline) within 2.5 inscribed radii, keeping only the core component that
   holds (or is nearest to) the point, so a neighbouring vessel cannot tilt it.
3. The cross-sectional area there is the lumen volume per unit length along the axis:
   ``area = Σ voxel volume · g(s)`` over the lumen voxels of the slab ``|s| ≤ 4σ`` within
   ``LATERAL_LIMIT`` inscribed radii of the axis that are connected to the widest point (so
   a neighbouring vessel, even one touching it, is not counted), ``s`` being each voxel's
   position along
   the axis and ``g`` a unit-integral Gaussian of width ``KERNEL_VOXELS`` × the largest
   voxel spacing. A smooth kernel wider than the slice spacing makes the sum independent of
   how slices fall (a hard slab would count one or two slices); the reported diameter is
   the area-derived one, ``2·sqrt(area/π)``, sub-voxel accurate (the inscribed diameter
   alone is quantised to the voxel size).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from twindesk.errors import InputError

KERNEL_VOXELS = 1.5
#: Sections reach at most this many inscribed radii from the axis (sinus lobes ≈ 1.3).
LATERAL_LIMIT = 1.75


def _index_to_lps(image, zyx: np.ndarray) -> np.ndarray:
    """Voxel indices ``[..., (z, y, x)]`` → LPS mm (any image direction)."""
    origin = np.array(image.GetOrigin())
    spacing = np.array(image.GetSpacing())
    direction = np.array(image.GetDirection()).reshape(3, 3)
    xyz = np.asarray(zyx, float)[..., ::-1]
    return origin + (xyz * spacing) @ direction.T


def max_diameter(mask: np.ndarray, image, centerline_lps_mm: np.ndarray | None = None
                 ) -> dict[str, Any]:
    """The widest cross-section of the lumen ``mask`` (bool ``[z, y, x]`` on ``image``'s grid).

    Returns ``{"diameter_mm"`` (area-derived), ``"area_mm2"``, ``"inscribed_diameter_mm"``,
    ``"center_lps_mm"``, ``"axis_lps"``, ``"region"``}``.
    """
    from scipy import ndimage as ndi

    mask = np.asarray(mask, bool)
    if mask.shape != tuple(reversed(image.GetSize())):
        raise InputError(f"aorta mask shape {mask.shape} does not match the volume grid "
                         f"{tuple(reversed(image.GetSize()))}", "segment the aorta again")
    if mask.sum() < 10:
        raise InputError("the aorta mask is (almost) empty; no diameter can be measured",
                         "check the segmentation (seed, threshold) of this study")
    spacing_zyx = np.array(image.GetSpacing())[::-1]
    dist = ndi.distance_transform_edt(np.pad(mask, 1), sampling=spacing_zyx)[1:-1, 1:-1, 1:-1]
    region = "whole lumen mask"
    search = dist
    if centerline_lps_mm is not None and len(centerline_lps_mm) > 2:
        search = np.where(_ascending_region(mask, image, np.asarray(centerline_lps_mm)), dist, 0)
        region = "ascending aorta (root to arch apex along the centerline)"
    c_idx = np.array(np.unravel_index(np.argmax(search), search.shape))
    return {**_section(mask, image, dist, c_idx), "region": region}


def diameter_at(mask: np.ndarray, image, point_lps_mm) -> dict[str, Any] | None:
    """The cross-section of the lumen through ``point_lps_mm`` (same method as
    :func:`max_diameter`), or ``None`` when the point is outside the lumen."""
    from scipy import ndimage as ndi

    mask = np.asarray(mask, bool)
    idx = image.TransformPhysicalPointToIndex(tuple(float(v) for v in point_lps_mm))
    c_idx = np.array(idx[::-1])
    if np.any(c_idx < 0) or np.any(c_idx >= mask.shape) or not mask[tuple(c_idx)]:
        return None
    spacing_zyx = np.array(image.GetSpacing())[::-1]
    dist = ndi.distance_transform_edt(np.pad(mask, 1), sampling=spacing_zyx)[1:-1, 1:-1, 1:-1]
    return {**_section(mask, image, dist, c_idx), "region": "at a given point"}


def _section(mask: np.ndarray, image, dist: np.ndarray, c_idx: np.ndarray) -> dict[str, Any]:
    """Area-derived diameter of the section through voxel ``c_idx`` (module doc, steps 2-3)."""
    from scipy import ndimage as ndi

    r_in = float(dist[tuple(c_idx)])
    center = _index_to_lps(image, c_idx)
    axis = _local_axis(dist, image, c_idx, r_in)
    idx = np.argwhere(mask)
    pts = _index_to_lps(image, idx)
    rel = pts - center
    along = rel @ axis
    lateral = np.linalg.norm(rel - np.outer(along, axis), axis=1)
    sigma = KERNEL_VOXELS * float(max(image.GetSpacing()))
    in_slab = (np.abs(along) <= 4.0 * sigma) & (lateral <= LATERAL_LIMIT * r_in)
    slab = np.zeros(mask.shape, bool)
    slab[tuple(idx[in_slab].T)] = True
    lab, _ = ndi.label(slab)
    section = lab[tuple(idx.T)] == lab[tuple(c_idx)]
    weights = np.exp(-0.5 * (along[section] / sigma) ** 2) / (sigma * np.sqrt(2.0 * np.pi))
    area = float(np.prod(image.GetSpacing())) * float(weights.sum())
    return {"diameter_mm": float(2.0 * np.sqrt(area / np.pi)), "area_mm2": float(area),
            "inscribed_diameter_mm": 2.0 * r_in, "center_lps_mm": center.tolist(),
            "axis_lps": axis.tolist(),
            "method": "area-derived diameter of the widest cross-section (lumen volume per "
                      f"unit length, Gaussian of {sigma:.2g} mm along the local axis)"}


def _local_axis(dist: np.ndarray, image, c_idx: np.ndarray, r_in: float) -> np.ndarray:
    """Principal direction (unit, LPS) of the lumen core around voxel ``c_idx``."""
    from scipy import ndimage as ndi

    spacing_zyx = np.array(image.GetSpacing())[::-1]
    reach = 2.5 * r_in
    half = np.ceil(reach / spacing_zyx).astype(int) + 1
    lo = np.maximum(c_idx - half, 0)
    hi = np.minimum(c_idx + half + 1, dist.shape)
    box = tuple(slice(a, b) for a, b in zip(lo, hi))
    grid = np.stack(np.meshgrid(*[np.arange(a, b) for a, b in zip(lo, hi)], indexing="ij"), -1)
    ball = np.linalg.norm((grid - c_idx) * spacing_zyx, axis=-1) <= reach
    # Relative to the widest lumen nearby, so a point close to an end or a junction still
    # sees the tube it belongs to.
    core = (dist[box] >= 0.7 * float(dist[box][ball].max())) & ball
    lab, _ = ndi.label(core)
    label = lab[tuple(c_idx - lo)]
    if not label:  # the point is off the core: take the core component nearest to it
        labels = lab[core]
        d2 = np.linalg.norm((grid[core] - c_idx) * spacing_zyx, axis=-1)
        label = labels[np.argmin(d2)] if len(d2) else 0
    sel = grid[lab == label] if label else grid[ball & (dist[box] > 0)]
    pts = _index_to_lps(image, sel)
    if len(pts) < 3:
        return np.array([0.0, 0.0, 1.0])
    return np.linalg.eigh(np.cov((pts - pts.mean(axis=0)).T))[1][:, -1]


def _ascending_region(mask: np.ndarray, image, centerline: np.ndarray) -> np.ndarray:
    """Lumen voxels whose nearest centerline point lies between the root (first point) and
    the arch apex (most superior point: largest LPS z)."""
    from scipy.spatial import cKDTree

    apex = int(np.argmax(centerline[:, 2]))
    idx = np.argwhere(mask)
    _, nearest = cKDTree(centerline).query(_index_to_lps(image, idx))
    keep = np.zeros(mask.shape, bool)
    sel = idx[nearest <= apex]
    keep[tuple(sel.T)] = True
    return keep
