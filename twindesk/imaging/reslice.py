"""Oblique planes through a volume: plane frames, reslicing, curved reformats.

A plane is given by its centre (LPS mm) and unit normal (LPS). Its in-plane axes ``u`` and
``v`` (:func:`plane_frame`) are chosen deterministically so that repeated calls agree; a 2D
pixel ``[j, i]`` of a resliced plane lies at ``center + (i - c) * step * u + (j - c) * step * v``
with ``c = (n - 1) / 2``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twindesk.errors import InputError
from twindesk.imaging.grid import Grid, sample


def unit(v) -> np.ndarray:
    v = np.asarray(v, dtype=float)
    n = np.linalg.norm(v)
    if not np.isfinite(n) or n < 1e-12:
        raise InputError(f"direction {v.tolist()} has no length", "give a non-zero direction")
    return v / n


def plane_frame(normal_lps, up_hint=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Orthonormal ``(u, v, n)`` with ``u x v = n``. ``u`` is as close as possible to
    ``up_hint`` (default: the LPS axis least parallel to ``n``)."""
    n = unit(normal_lps)
    if up_hint is None:
        up_hint = np.eye(3)[int(np.argmin(np.abs(n)))]
    u = np.asarray(up_hint, dtype=float) - np.dot(up_hint, n) * n
    if np.linalg.norm(u) < 1e-6:
        u = np.eye(3)[int(np.argmin(np.abs(n)))] - n * n[int(np.argmin(np.abs(n)))]
    u = unit(u)
    v = np.cross(n, u)
    return u, v, n


@dataclass(frozen=True)
class PlaneSample:
    """Values on a square grid in a plane, with the frame to map pixels back to LPS."""

    values: np.ndarray  # [j, i]
    center_lps_mm: np.ndarray
    u: np.ndarray
    v: np.ndarray
    normal: np.ndarray
    step_mm: float

    def pixel_to_lps(self, ji) -> np.ndarray:
        ji = np.atleast_2d(np.asarray(ji, dtype=float))
        c = (np.asarray(self.values.shape, dtype=float) - 1) / 2
        a = (ji[:, 1] - c[1]) * self.step_mm
        b = (ji[:, 0] - c[0]) * self.step_mm
        return self.center_lps_mm + a[:, None] * self.u + b[:, None] * self.v

    def lps_to_plane_mm(self, points) -> np.ndarray:
        """In-plane coordinates ``(a, b)`` (mm along ``u``, ``v``) of LPS points."""
        d = np.atleast_2d(points) - self.center_lps_mm
        return np.stack([d @ self.u, d @ self.v], axis=1)


def plane_points(center_lps_mm, u, v, half_size_mm: float, step_mm: float) -> np.ndarray:
    """LPS points of a square grid in a plane, shape ``(n, n, 3)`` indexed ``[j, i]``."""
    n = int(round(2 * half_size_mm / step_mm)) + 1
    t = (np.arange(n) - (n - 1) / 2) * step_mm
    return (np.asarray(center_lps_mm, dtype=float)[None, None, :]
            + t[None, :, None] * np.asarray(u)[None, None, :]
            + t[:, None, None] * np.asarray(v)[None, None, :])


def sample_plane(arr: np.ndarray, grid: Grid, center_lps_mm, normal_lps, half_size_mm: float,
                 step_mm: float, order: int = 1, cval: float = 0.0, up_hint=None) -> PlaneSample:
    """Sample a numpy volume ``arr`` (on ``grid``) on an oblique square plane.

    ``order`` 1 is trilinear (use it for masks too, then compare with 0.5), 0 nearest.
    """
    u, v, n = plane_frame(normal_lps, up_hint)
    pts = plane_points(center_lps_mm, u, v, half_size_mm, step_mm)
    vals = sample(arr, grid.lps_to_zyx(pts.reshape(-1, 3)).reshape(pts.shape), order, cval)
    return PlaneSample(vals, np.asarray(center_lps_mm, dtype=float), u, v, n, float(step_mm))


def reslice_plane(image, center_lps_mm, normal_lps, half_size_mm: float = 50.0,
                  step_mm: float = 0.5, up_hint=None, interpolator=None, default: float = -1024.0):
    """Oblique reslice of a SimpleITK volume on a plane (SimpleITK resample).

    Returns ``(slice_image, frame)``: a 2D-like SimpleITK image (size ``n x n x 1``) whose
    direction columns are ``u, v, normal`` and whose origin is the plane's first pixel, so
    ``TransformIndexToPhysicalPoint`` gives LPS mm; and the :class:`PlaneSample` frame with
    the values as a numpy array ``[j, i]``.
    """
    import SimpleITK as sitk

    u, v, n = plane_frame(normal_lps, up_hint)
    npix = int(round(2 * half_size_mm / step_mm)) + 1
    c = (npix - 1) / 2 * step_mm
    origin = np.asarray(center_lps_mm, dtype=float) - c * u - c * v
    direction = np.stack([u, v, n], axis=1).ravel().tolist()
    out = sitk.Resample(image, [npix, npix, 1], sitk.Transform(),
                        interpolator if interpolator is not None else sitk.sitkLinear,
                        origin.tolist(), (step_mm, step_mm, 1.0), direction, default,
                        sitk.sitkFloat32)
    values = sitk.GetArrayFromImage(out)[0]
    return out, PlaneSample(values, np.asarray(center_lps_mm, dtype=float), u, v, n,
                            float(step_mm))


def curved_reformat(image, points_lps_mm, tangents_lps, half_width_mm: float = 30.0,
                    step_mm: float = 0.5, up_hint=(0.0, 0.0, 1.0), default: float = -1024.0):
    """Straightened curved reformat along a centerline.

    Each output row ``j`` samples the line through centerline point ``j`` along the in-plane
    axis ``u_j`` (perpendicular to the tangent, transported along the curve so it does not
    twist). Rows are as far apart as the given points, so resample the centerline to equal arc
    length first. Returns ``(values[j, i], u_lps[j])``; column ``i`` is at offset
    ``(i - c) * step_mm`` from the centerline.
    """
    import SimpleITK as sitk

    from twindesk.imaging.grid import array

    pts = np.asarray(points_lps_mm, dtype=float)
    tans = np.asarray(tangents_lps, dtype=float)
    if pts.ndim != 2 or pts.shape[1] != 3 or len(pts) < 2 or tans.shape != pts.shape:
        raise InputError("curved reformat: need at least two points and one tangent per point",
                         "compute the centerline first")
    us = transported_normals(tans, up_hint)
    ncol = int(round(2 * half_width_mm / step_mm)) + 1
    off = (np.arange(ncol) - (ncol - 1) / 2) * step_mm
    lps = pts[:, None, :] + off[None, :, None] * us[:, None, :]
    grid = Grid.of(image)
    vol = array(image, np.float32) if image.GetPixelID() != sitk.sitkFloat32 else array(image)
    vals = sample(vol, grid.lps_to_zyx(lps.reshape(-1, 3)).reshape(lps.shape), 1, default)
    return vals, us


def transported_normals(tangents, up_hint=(0.0, 0.0, 1.0)) -> np.ndarray:
    """Unit normals along a curve by parallel transport (rotation-minimising frame) starting
    from the component of ``up_hint`` perpendicular to the first tangent."""
    t = np.asarray(tangents, dtype=float)
    t = t / np.linalg.norm(t, axis=1, keepdims=True)
    out = np.empty_like(t)
    out[0] = plane_frame(t[0], up_hint)[0]
    for k in range(1, len(t)):
        u = out[k - 1] - np.dot(out[k - 1], t[k]) * t[k]
        nu = np.linalg.norm(u)
        out[k] = u / nu if nu > 1e-9 else plane_frame(t[k])[0]
    return out
