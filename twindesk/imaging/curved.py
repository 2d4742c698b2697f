"""Curved planar reformation (CPR) along a vessel centreline.

The *stretched* CPR of Kanitsar et al. (Kanitsar A, Fleischmann D, Wegenkittl R, Felkel P,
Gröller E. "CPR – Curved Planar Reformation". Proc. IEEE Visualization 2002:37–44): image
row ``r`` is the centreline point at arc length ``r * spacing_mm``; column ``c`` is the
lateral offset ``(c - c0) * spacing_mm`` along a unit vector perpendicular to the tangent.
The lateral vectors form a rotation-minimising frame (double-reflection method of Wang W,
Jüttler B, Zheng D, Liu Y. "Computation of rotation minimizing frames". ACM Trans Graph
2008;27(1):2), so the image does not twist along the vessel; ``angle_deg`` rotates the
whole frame about the tangent to look at the vessel from another side.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twindesk.errors import InputError
from twindesk.imaging.mpr import VolumeGeometry, background_value


@dataclass(frozen=True)
class CurvedImage:
    """A stretched CPR and its pixel → LPS mapping.

    ``pixels[row, col]`` is the value at ``centers_lps_mm[row] + (col - center_col) *
    spacing_mm * lateral_lps[row]``.
    """

    pixels: np.ndarray
    centers_lps_mm: np.ndarray  # (rows, 3)
    lateral_lps: np.ndarray     # (rows, 3) unit vectors
    tangent_lps: np.ndarray     # (rows, 3) unit vectors
    spacing_mm: float
    center_col: float

    def pixel_to_lps(self, col: float, row: float) -> np.ndarray:
        r = int(np.clip(np.rint(row), 0, len(self.centers_lps_mm) - 1))
        return self.centers_lps_mm[r] + (col - self.center_col) * self.spacing_mm \
            * self.lateral_lps[r]

    def lps_to_pixel(self, lps_mm: np.ndarray) -> tuple[float, float, float]:
        """LPS mm → (col, row, distance from the reformatted surface in mm)."""
        p = np.asarray(lps_mm, float)
        d = p - self.centers_lps_mm
        r = int(np.argmin(np.einsum("ij,ij->i", d, d)))
        off = d[r]
        lat = float(off @ self.lateral_lps[r])
        normal = np.cross(self.tangent_lps[r], self.lateral_lps[r])
        return self.center_col + lat / self.spacing_mm, float(r), float(off @ normal)

    @property
    def arc_length_mm(self) -> np.ndarray:
        return np.arange(len(self.centers_lps_mm)) * self.spacing_mm


def resample_polyline(points_lps_mm: np.ndarray, spacing_mm: float) -> np.ndarray:
    """Points along a polyline at equal arc-length steps of ``spacing_mm`` (LPS mm)."""
    pts = np.asarray(points_lps_mm, float)
    if pts.ndim != 2 or pts.shape[1] != 3 or len(pts) < 2:
        raise InputError("centreline: need at least two points (N x 3, LPS mm)",
                         "draw a path with at least two clicks or compute a centreline first")
    seg = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    keep = np.concatenate([[True], seg > 1e-9])
    pts, seg = pts[keep], seg[seg > 1e-9]
    if len(pts) < 2:
        raise InputError("centreline: all points coincide", "draw a longer path")
    s = np.concatenate([[0.0], np.cumsum(seg)])
    t = np.arange(0.0, s[-1] + 1e-9, spacing_mm)
    return np.stack([np.interp(t, s, pts[:, a]) for a in range(3)], axis=1)


def rotation_minimizing_frame(points: np.ndarray, first_lateral: np.ndarray | None = None
                              ) -> tuple[np.ndarray, np.ndarray]:
    """Unit tangents and rotation-minimising lateral vectors along ``points`` (Wang 2008)."""
    n = len(points)
    t = np.gradient(points, axis=0)
    t /= np.maximum(np.linalg.norm(t, axis=1, keepdims=True), 1e-12)
    r = np.zeros_like(points)
    hint = np.array([0.0, 0.0, 1.0]) if first_lateral is None else np.asarray(first_lateral, float)
    if abs(hint @ t[0]) > 0.9 * np.linalg.norm(hint):
        hint = np.array([1.0, 0.0, 0.0])
    r0 = hint - (hint @ t[0]) * t[0]
    r[0] = r0 / np.linalg.norm(r0)
    for i in range(n - 1):
        v1 = points[i + 1] - points[i]
        c1 = v1 @ v1
        if c1 < 1e-18:
            r[i + 1] = r[i]
            continue
        rl = r[i] - (2 / c1) * (v1 @ r[i]) * v1
        tl = t[i] - (2 / c1) * (v1 @ t[i]) * v1
        v2 = t[i + 1] - tl
        c2 = v2 @ v2
        r[i + 1] = rl if c2 < 1e-18 else rl - (2 / c2) * (v2 @ rl) * v2
        r[i + 1] -= (r[i + 1] @ t[i + 1]) * t[i + 1]
        r[i + 1] /= np.linalg.norm(r[i + 1])
    return t, r


def curved_mpr(array: np.ndarray, geometry: VolumeGeometry, centerline_lps_mm: np.ndarray, *,
               half_width_mm: float = 30.0, spacing_mm: float | None = None,
               angle_deg: float = 0.0, order: int = 1) -> CurvedImage:
    """Stretched curved MPR of ``array`` along ``centerline_lps_mm`` (N x 3, LPS mm).

    Parameters
    ----------
    half_width_mm
        Lateral extent on each side of the centreline, mm.
    spacing_mm
        Pixel size along and across the vessel (default: finest voxel spacing).
    angle_deg
        Rotation of the lateral direction about the tangent, degrees.
    """
    from scipy.ndimage import map_coordinates

    spacing = float(spacing_mm or min(geometry.spacing_mm))
    centers = resample_polyline(centerline_lps_mm, spacing)
    if len(centers) < 2:
        centers = np.asarray(centerline_lps_mm, float)[[0, -1]]
    tangent, lateral = rotation_minimizing_frame(centers)
    a = np.deg2rad(angle_deg)
    binormal = np.cross(tangent, lateral)
    lateral = np.cos(a) * lateral + np.sin(a) * binormal
    ncol = int(np.ceil(2 * half_width_mm / spacing)) + 1
    c0 = (ncol - 1) / 2
    offsets = (np.arange(ncol) - c0) * spacing
    pts = centers[:, None, :] + offsets[None, :, None] * lateral[:, None, :]
    ijk = geometry.lps_to_index(pts)
    coords = np.stack([ijk[..., 2], ijk[..., 1], ijk[..., 0]])
    pixels = map_coordinates(array, coords, order=order, mode="constant",
                             cval=background_value(array), prefilter=False)
    return CurvedImage(pixels, centers, lateral, tangent, spacing, c0)
