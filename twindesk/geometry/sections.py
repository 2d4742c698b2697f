"""Lumen cross-sections in an arbitrary plane: contour, area, perimeter, diameters.

The contour is the 0.5 level of the (lightly smoothed) mask resampled in the plane, so it
lies between inside and outside voxel centres with sub-voxel precision. Diameters follow the
CT conventions for TAVR planning (Blanke P et al., "Computed Tomography Imaging in the
Context of Transcatheter Aortic Valve Implantation (TAVI) / Transcatheter Aortic Valve
Replacement (TAVR): An Expert Consensus Document of the Society of Cardiovascular Computed
Tomography", JACC Cardiovasc Imaging 2019;12:1-24): area-derived ``2 sqrt(A / pi)``,
perimeter-derived ``P / pi``, and the minimum and maximum diameter through the centroid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twindesk.imaging.grid import Grid
from twindesk.imaging.reslice import PlaneSample, sample_plane


@dataclass(frozen=True)
class LumenContour:
    """A closed lumen contour in a plane (points LPS mm, not repeated at the end)."""

    points_lps_mm: np.ndarray
    centroid_lps_mm: np.ndarray
    normal_lps: np.ndarray
    area_mm2: float
    perimeter_mm: float
    diameter_min_mm: float
    diameter_max_mm: float
    direction_min_lps: np.ndarray
    direction_max_lps: np.ndarray

    @property
    def diameter_area_mm(self) -> float:
        return float(2.0 * np.sqrt(self.area_mm2 / np.pi))

    @property
    def diameter_perimeter_mm(self) -> float:
        return float(self.perimeter_mm / np.pi)

    def robust_center_lps_mm(self, bulge: float = 1.1, iterations: int = 4) -> np.ndarray:
        """The section's centre with side-branch ostia ignored: the centroid of the contour
        whose distance from the centre is clipped at ``bulge`` times its median (a branch's
        mouth is a long bulge to one side; clipping a symmetric shape such as an ellipse or
        the three sinuses at the same radius all round does not move its centre). The plain
        centroid is itself pulled towards the bulge, so the clipping is repeated about the
        new centre a few times."""
        c0 = self.centroid_lps_mm
        d0 = self.points_lps_mm - c0
        r0 = np.linalg.norm(d0, axis=1)
        u = d0[int(np.argmax(r0))] / max(float(r0.max()), 1e-12)
        v = np.cross(self.normal_lps, u)
        xy = np.stack([d0 @ u, d0 @ v], axis=1)
        cen = np.zeros(2)
        for _ in range(max(1, iterations)):
            d = xy - cen
            r = np.linalg.norm(d, axis=1)
            cap = bulge * float(np.median(r))
            new = polygon_centroid(cen + d * np.minimum(1.0, cap / np.maximum(r, 1e-12))[:, None])
            done = np.linalg.norm(new - cen) < 1e-3
            cen = new
            if done:
                break
        return c0 + cen[0] * u + cen[1] * v

    @property
    def eccentricity(self) -> float:
        """1 - min/max diameter (0 for a circle), the convention of the SCCT document."""
        return float(1.0 - self.diameter_min_mm / self.diameter_max_mm)

    def as_dict(self) -> dict:
        return {"centroid_lps_mm": [float(v) for v in self.centroid_lps_mm],
                "normal_lps": [float(v) for v in self.normal_lps],
                "area_mm2": self.area_mm2, "perimeter_mm": self.perimeter_mm,
                "diameter_area_mm": self.diameter_area_mm,
                "diameter_perimeter_mm": self.diameter_perimeter_mm,
                "diameter_min_mm": self.diameter_min_mm, "diameter_max_mm": self.diameter_max_mm,
                "eccentricity": self.eccentricity}


def smooth_field(mask: np.ndarray, grid: Grid, sigma_vox: float = 0.6) -> np.ndarray:
    """A float field whose 0.5 level is the mask's surface without the voxel staircase."""
    from scipy import ndimage as ndi

    return ndi.gaussian_filter(mask.astype(np.float32), sigma_vox, mode="constant")


def contours_2d(values: np.ndarray, level: float = 0.5) -> list[np.ndarray]:
    """Closed iso-contours of a 2D array as ``(N, 2)`` arrays of ``(j, i)`` pixel coordinates
    (marching squares via VTK). Open contours (touching the border) are dropped."""
    from twindesk.geometry import vtk_classes as vtk
    from vtkmodules.util import numpy_support as ns

    img = vtk.vtkImageData()
    img.SetDimensions(values.shape[1], values.shape[0], 1)
    arr = ns.numpy_to_vtk(np.ascontiguousarray(values, dtype=np.float32).ravel(), deep=True)
    img.GetPointData().SetScalars(arr)
    fe = vtk.vtkFlyingEdges2D()
    fe.SetInputData(img)
    fe.SetValue(0, level)
    strip = vtk.vtkStripper()
    strip.SetInputConnection(fe.GetOutputPort())
    strip.JoinContiguousSegmentsOn()
    strip.Update()
    out = strip.GetOutput()
    pts = ns.vtk_to_numpy(out.GetPoints().GetData()) if out.GetNumberOfPoints() else np.zeros((0, 3))
    loops = []
    lines = out.GetLines()
    lines.InitTraversal()
    ids = vtk.vtkIdList()
    while lines.GetNextCell(ids):
        idx = [ids.GetId(k) for k in range(ids.GetNumberOfIds())]
        if len(idx) < 4 or idx[0] != idx[-1]:
            continue
        loop = pts[idx[:-1]][:, [1, 0]]  # (x=i, y=j) -> (j, i)
        loops.append(loop)
    return loops


def polygon_area(xy: np.ndarray) -> float:
    x, y = xy[:, 0], xy[:, 1]
    return float(0.5 * (np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def polygon_centroid(xy: np.ndarray) -> np.ndarray:
    x, y = xy[:, 0], xy[:, 1]
    cross = x * np.roll(y, -1) - np.roll(x, -1) * y
    a = cross.sum() / 2.0
    if abs(a) < 1e-12:
        return xy.mean(axis=0)
    return np.array([((x + np.roll(x, -1)) * cross).sum(), ((y + np.roll(y, -1)) * cross).sum()]) / (6 * a)


def point_in_polygon(p: np.ndarray, xy: np.ndarray) -> bool:
    x, y = xy[:, 0], xy[:, 1]
    x2, y2 = np.roll(x, -1), np.roll(y, -1)
    cond = (y > p[1]) != (y2 > p[1])
    xs = x + (p[1] - y) * (x2 - x) / np.where(y2 == y, 1e-30, y2 - y)
    return bool(np.count_nonzero(cond & (p[0] < xs)) % 2)


def chord_lengths(xy: np.ndarray, center: np.ndarray, n_dir: int = 180) -> tuple[np.ndarray, np.ndarray]:
    """Lengths of the chords through ``center`` along ``n_dir`` directions in [0, pi)."""
    ang = np.linspace(0.0, np.pi, n_dir, endpoint=False)
    d = np.stack([np.cos(ang), np.sin(ang)], axis=1)
    a = xy - center
    b = np.roll(xy, -1, axis=0) - center
    e = b - a
    # Solve a + u e = t d for each edge and direction:
    # t = cross(a, e) / cross(d, e), u = cross(a, d) / cross(d, e).
    cross_de = d[:, None, 0] * e[None, :, 1] - d[:, None, 1] * e[None, :, 0]
    cross_ae = a[:, 0] * e[:, 1] - a[:, 1] * e[:, 0]
    cross_ad = a[None, :, 0] * d[:, None, 1] - a[None, :, 1] * d[:, None, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = cross_ae[None, :] / cross_de
        u = cross_ad / cross_de
    hit = (u >= 0) & (u <= 1) & np.isfinite(t)
    t_pos = np.where(hit & (t > 0), t, np.inf).min(axis=1)
    t_neg = np.where(hit & (t < 0), -t, np.inf).min(axis=1)
    return ang, t_pos + t_neg


def contour_in_plane(ps: PlaneSample, pick_lps_mm=None, search_mm: float = 5.0
                     ) -> LumenContour | None:
    """The lumen contour of a sampled plane: the smallest closed 0.5-contour that encloses
    ``pick_lps_mm`` (default: the plane's centre), or the nearest one within ``search_mm``."""
    loops = contours_2d(ps.values)
    if not loops:
        return None
    n = ps.values.shape[0]
    c = (n - 1) / 2.0
    pick = ps.center_lps_mm if pick_lps_mm is None else np.asarray(pick_lps_mm, float)
    ab = ps.lps_to_plane_mm(pick)[0]
    loops_mm = [np.stack([(lp[:, 1] - c) * ps.step_mm, (lp[:, 0] - c) * ps.step_mm], 1)
                for lp in loops]  # (a along u, b along v)
    enclosing = [lp for lp in loops_mm if point_in_polygon(ab, lp)]
    if enclosing:
        loop = min(enclosing, key=lambda lp: abs(polygon_area(lp)))
    else:
        dist = [np.min(np.linalg.norm(lp - ab, axis=1)) for lp in loops_mm]
        k = int(np.argmin(dist))
        if dist[k] > search_mm:
            return None
        loop = loops_mm[k]
    return _contour(ps, loop)


def _radius_function(loop: np.ndarray, center: np.ndarray, n_ang: int = 360, keep: int = 10
                     ) -> np.ndarray | None:
    """The contour's distance from ``center`` at ``n_ang`` equally spaced angles (from 0),
    with angular harmonics above ``keep`` removed: the voxel staircase (high angular
    frequency) no longer biases the extreme chords, while ellipse- and trefoil-like shapes
    (harmonics 2-3) stay. None when the contour is not star-shaped about ``center``."""
    d = loop - center
    unwrapped = np.unwrap(np.arctan2(d[:, 1], d[:, 0]))
    steps = np.diff(np.concatenate([unwrapped, unwrapped[:1] + np.sign(
        unwrapped[-1] - unwrapped[0]) * 2 * np.pi]))
    if np.any(steps * np.sign(steps.sum()) < -1e-9):
        return None
    theta = np.arctan2(d[:, 1], d[:, 0])
    order = np.argsort(theta)
    grid = np.linspace(0.0, 2 * np.pi, n_ang, endpoint=False)
    rr = np.interp(grid, np.mod(theta[order], 2 * np.pi), np.linalg.norm(d, axis=1)[order],
                   period=2 * np.pi)
    spec = np.fft.rfft(rr)
    spec[keep + 1:] = 0
    return np.fft.irfft(spec, n_ang)


def _contour(ps: PlaneSample, loop: np.ndarray) -> LumenContour:
    area = abs(polygon_area(loop))
    per = float(np.linalg.norm(np.roll(loop, -1, axis=0) - loop, axis=1).sum())
    cen = polygon_centroid(loop)
    rr = _radius_function(loop, cen)
    if rr is not None:
        half = len(rr) // 2
        chords = rr[:half] + rr[half:]
        ang = np.linspace(0.0, np.pi, half, endpoint=False)
    else:
        ang, chords = chord_lengths(loop, cen)
    k_min, k_max = int(np.argmin(chords)), int(np.argmax(chords))

    def lps_dir(a: float) -> np.ndarray:
        return np.cos(a) * ps.u + np.sin(a) * ps.v

    pts = ps.center_lps_mm + loop[:, :1] * ps.u + loop[:, 1:] * ps.v
    return LumenContour(pts, ps.center_lps_mm + cen[0] * ps.u + cen[1] * ps.v, ps.normal,
                        float(area), per, float(chords[k_min]), float(chords[k_max]),
                        lps_dir(ang[k_min]), lps_dir(ang[k_max]))


def lumen_contour(field: np.ndarray, grid: Grid, center_lps_mm, normal_lps,
                  half_size_mm: float = 40.0, step_mm: float = 0.25, pick_lps_mm=None,
                  up_hint=None) -> LumenContour | None:
    """The lumen contour of ``field`` (a mask or :func:`smooth_field` of one, on ``grid``) in
    the plane through ``center_lps_mm`` perpendicular to ``normal_lps``.

    This is the helper for annulus / LVOT / sinus measurements: give the plane, get the
    contour with its area, perimeter and diameters. None when no lumen is there.
    """
    f = field.view(np.uint8) if field.dtype == bool else field
    ps = sample_plane(f, grid, center_lps_mm, normal_lps, half_size_mm, step_mm, order=1,
                      up_hint=up_hint)
    return contour_in_plane(ps, pick_lps_mm)
