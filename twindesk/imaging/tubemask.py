"""Masks around a centerline: the tube envelope, local thresholds, branch stubs.

The *envelope* of a vessel is the set of voxels within a radius ``R(s)`` of its centerline
(``s`` the arc length), closed by planes perpendicular to the centerline at both ends. The
lumen is thresholded inside it, so neighbours that touch the vessel through partial volume
and side branches beyond their ostia are cut off, and the ends are clean perpendicular cuts.
"""

from __future__ import annotations

import numpy as np

from twindesk.imaging.blood import ball, bbox_slices
from twindesk.imaging.grid import Grid


def resample_polyline(points: np.ndarray, step_mm: float) -> np.ndarray:
    """Points at equal arc-length spacing ``step_mm`` along a polyline (ends kept)."""
    pts = np.asarray(points, dtype=float)
    seg = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    keep = np.concatenate([[True], seg > 1e-9])
    pts = pts[keep]
    if len(pts) < 2:
        return pts
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))])
    n = max(2, int(round(s[-1] / step_mm)) + 1)
    t = np.linspace(0.0, s[-1], n)
    return np.stack([np.interp(t, s, pts[:, k]) for k in range(3)], axis=1)


def smooth_polyline(points: np.ndarray, sigma_pts: float) -> np.ndarray:
    """Gaussian smoothing of an equally spaced polyline; the two end points stay fixed."""
    from scipy import ndimage as ndi

    pts = np.asarray(points, dtype=float)
    if len(pts) < 3 or sigma_pts <= 0:
        return pts
    # Reflect about the end points (odd extension) so the ends do not shrink inwards.
    pad = int(3 * sigma_pts) + 1
    pad = min(pad, len(pts) - 1)
    head = 2 * pts[0] - pts[pad:0:-1]
    tail = 2 * pts[-1] - pts[-2:-pad - 2:-1]
    ext = np.concatenate([head, pts, tail])
    sm = ndi.gaussian_filter1d(ext, sigma_pts, axis=0, mode="nearest")[pad:pad + len(pts)]
    sm[0], sm[-1] = pts[0], pts[-1]
    return sm


def tangents(points: np.ndarray) -> np.ndarray:
    """Unit tangents by central differences (one-sided at the ends)."""
    t = np.gradient(np.asarray(points, dtype=float), axis=0)
    return t / np.maximum(np.linalg.norm(t, axis=1, keepdims=True), 1e-12)


def envelope(grid: Grid, points_lps_mm: np.ndarray, radius_mm: np.ndarray,
             cap_start: bool = True, cap_end: bool = True, dense_step_mm: float = 0.5,
             radius_by_angle: np.ndarray | None = None, frame_u: np.ndarray | None = None
             ) -> np.ndarray:
    """Voxels of ``grid`` within ``radius_mm[k]`` of the centerline, between the two end
    planes (each perpendicular to the centerline at its end point). Returns a bool array.

    With ``radius_by_angle`` (``K x A``: the radius along ``A`` equally spaced directions
    ``cos(a) u_k + sin(a) v_k`` in each point's perpendicular plane, ``u_k = frame_u[k]``,
    ``v_k = t_k x u_k``) the tube is star-shaped instead of round; ``radius_mm`` then only
    bounds it.
    """
    from scipy.spatial import cKDTree

    pts = np.asarray(points_lps_mm, dtype=float)
    rad = np.asarray(radius_mm, dtype=float)
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))])
    dense_s = np.linspace(0.0, s[-1], max(2, int(np.ceil(s[-1] / dense_step_mm)) + 1))
    dense = np.stack([np.interp(dense_s, s, pts[:, k]) for k in range(3)], axis=1)
    dense_r = np.interp(dense_s, s, rad)
    out = np.zeros(grid.shape, dtype=bool)
    # Candidate voxels: the box around the tube.
    r_max = float(rad.max())
    idx = grid.voxels_around(dense, r_max)
    if not len(idx):
        return out
    lps = grid.zyx_to_lps(idx)
    dist, near = cKDTree(dense).query(lps, workers=-1, distance_upper_bound=r_max + 1.0)
    far = ~np.isfinite(dist)
    near[far] = 0
    inside = ~far & (dist <= dense_r[near])
    if radius_by_angle is not None:
        inside &= _within_star(lps, dense_s, s, pts, near, radius_by_angle, frame_u)
    tan = tangents(dense)
    if cap_start:
        inside &= ~((near == 0) & (((lps - dense[0]) @ tan[0]) < 0))
    if cap_end:
        inside &= ~((near == len(dense) - 1) & (((lps - dense[-1]) @ tan[-1]) > 0))
    out[tuple(idx[inside].T)] = True
    return out


def _within_star(lps, dense_s, s, pts, near, radius_by_angle, frame_u) -> np.ndarray:
    """Test voxels against the star-shaped radius of their nearest original section."""
    k = np.clip(np.searchsorted(s, dense_s[near] - 1e-9), 0, len(s) - 1)
    prev = np.clip(k - 1, 0, len(s) - 1)
    k = np.where(np.abs(s[prev] - dense_s[near]) < np.abs(s[k] - dense_s[near]), prev, k)
    t = tangents(pts)[k]
    u = frame_u[k]
    v = np.cross(t, u)
    d = lps - pts[k]
    ang = np.mod(np.arctan2(np.einsum("ij,ij->i", d, v), np.einsum("ij,ij->i", d, u)), 2 * np.pi)
    n_ang = radius_by_angle.shape[1]
    f = ang / (2 * np.pi) * n_ang
    i0 = np.floor(f).astype(int) % n_ang
    i1 = (i0 + 1) % n_ang
    w = f - np.floor(f)
    r = (1 - w) * radius_by_angle[k, i0] + w * radius_by_angle[k, i1]
    radial = np.linalg.norm(d - np.einsum("ij,ij->i", d, t)[:, None] * t, axis=1)
    return radial <= r


def half_space(grid: Grid, center_lps_mm, normal_lps, radius_mm: float) -> np.ndarray:
    """Voxels on the ``-normal`` side of a plane within ``radius_mm`` of its centre (a
    cylinder-limited half space, used to cut a vessel from the chamber it opens into)."""
    c = np.asarray(center_lps_mm, float)
    n = np.asarray(normal_lps, float)
    out = np.zeros(grid.shape, dtype=bool)
    idx = grid.voxels_around(c, radius_mm)
    if not len(idx):
        return out
    d = grid.zyx_to_lps(idx) - c
    h = d @ n
    radial = np.linalg.norm(d - h[:, None] * n, axis=1)
    sel = (h < 0) & (radial <= radius_mm) & (h > -radius_mm)
    out[tuple(idx[sel].T)] = True
    return out


def local_threshold(hu: np.ndarray, grid: Grid, tissue_hu: float, low_hu: float,
                    high_hu: float, window_mm: float = 2.5) -> np.ndarray:
    """Per-voxel half-maximum threshold: half-way between the brightest blood within
    ``window_mm`` and the tissue level, clipped to ``[low_hu, high_hu]``.

    Next to bright lumen the edge is put at the usual half maximum (``high_hu``); a dimly
    opacified lumen (slow flow in a false lumen) gets its own, lower half maximum.
    """
    from scipy import ndimage as ndi

    size = tuple(int(2 * np.ceil(window_mm / s) + 1) for s in grid.spacing_zyx)
    local_max = ndi.maximum_filter(hu, size=size)
    return np.clip(0.5 * (local_max + tissue_hu), low_hu, high_hu)


def geodesic_dilate(seed: np.ndarray, allowed: np.ndarray, iterations: int) -> np.ndarray:
    """Grow ``seed`` into ``allowed`` by ``iterations`` 26-connected voxel steps."""
    from scipy import ndimage as ndi

    if iterations <= 0:
        return seed & allowed
    return ndi.binary_dilation(seed, structure=np.ones((3, 3, 3), bool),
                               iterations=iterations, mask=allowed | seed)


def component_touching(mask: np.ndarray, points_zyx: np.ndarray) -> np.ndarray:
    """Union of the face-connected components of ``mask`` that contain any of the points
    (face connectivity: what a surface extracted from the mask will also see as one piece)."""
    from scipy import ndimage as ndi

    lab, _ = ndi.label(mask)
    idx = np.round(np.asarray(points_zyx)).astype(int)
    ok = np.all((idx >= 0) & (idx < np.asarray(mask.shape)), axis=1)
    ids = np.unique(lab[tuple(idx[ok].T)])
    ids = ids[ids > 0]
    return np.isin(lab, ids) if ids.size else np.zeros_like(mask)


def close_within(mask: np.ndarray, region: np.ndarray, grid: Grid, radius_mm: float) -> np.ndarray:
    """Morphological closing with a ball, kept inside ``region`` (bridges flaps and struts)."""
    from scipy import ndimage as ndi

    if radius_mm <= 0 or not mask.any():
        return mask
    st = ball(radius_mm, grid.spacing_zyx)
    pad = max(st.shape)
    sl = bbox_slices(mask, pad=pad)
    sub = np.pad(mask[sl], pad)
    closed = ndi.binary_closing(sub, structure=st)[pad:-pad, pad:-pad, pad:-pad]
    out = mask.copy()
    out[sl] |= closed & region[sl]
    return out
