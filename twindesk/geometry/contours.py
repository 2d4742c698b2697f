"""Closed planar contours: sub-pixel extraction (marching squares) and shape metrics.

Contours live in a plane with in-plane coordinates ``(a, b)`` in millimetres (see
:class:`twindesk.imaging.reslice.PlaneSample`). Metrics follow the SCCT expert consensus on
CT for TAVR (Blanke P, Weir-McCall JR, Achenbach S, et al. Computed tomography imaging in the
context of transcatheter aortic valve implantation (TAVI) / transcatheter aortic valve
replacement (TAVR): an expert consensus document of the Society of Cardiovascular Computed
Tomography. J Cardiovasc Comput Tomogr 2019;13:1-20):

* perimeter and area of the lumen contour, perimeter-derived diameter ``P / pi`` and
  area-derived diameter ``2 sqrt(A / pi)``;
* minimum and maximum diameter: the shortest and longest chord through the contour's
  centroid (area centre);
* eccentricity ``1 - min / max`` (the consensus' definition; 0 for a circle).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twindesk.errors import InputError


def marching_squares(values: np.ndarray, level: float) -> list[np.ndarray]:
    """Closed iso-contours of a 2D array at ``level`` as ``(N, 2)`` arrays of fractional
    pixel indices ``(j, i)`` (row, column), first point not repeated. Open lines (touching
    the border) are dropped. Uses contourpy's marching squares (linear interpolation along
    pixel edges: sub-pixel)."""
    import contourpy

    gen = contourpy.contour_generator(z=np.asarray(values, dtype=float),
                                      line_type=contourpy.LineType.Separate)
    out = []
    for line in gen.lines(float(level)):
        if len(line) < 4 or not np.allclose(line[0], line[-1]):
            continue
        out.append(np.ascontiguousarray(line[:-1, ::-1]))  # (x=i, y=j) -> (j, i)
    return out


def polygon_area(xy: np.ndarray) -> float:
    """Signed shoelace area of a closed polygon ``(N, 2)`` (positive counter-clockwise)."""
    x, y = xy[:, 0], xy[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def polygon_centroid(xy: np.ndarray) -> np.ndarray:
    """Area centroid of a closed polygon."""
    x, y = xy[:, 0], xy[:, 1]
    xn, yn = np.roll(x, -1), np.roll(y, -1)
    cross = x * yn - xn * y
    a = cross.sum() / 2.0
    if abs(a) < 1e-12:
        return xy.mean(axis=0)
    return np.array([((x + xn) * cross).sum(), ((y + yn) * cross).sum()]) / (6.0 * a)


def perimeter(xy: np.ndarray) -> float:
    return float(np.linalg.norm(np.roll(xy, -1, axis=0) - xy, axis=1).sum())


def contains(xy: np.ndarray, point) -> bool:
    """Point-in-polygon test (even-odd rule)."""
    px, py = float(point[0]), float(point[1])
    x, y = xy[:, 0], xy[:, 1]
    xn, yn = np.roll(x, -1), np.roll(y, -1)
    cond = (y > py) != (yn > py)
    with np.errstate(divide="ignore", invalid="ignore"):
        xint = x + (py - y) * (xn - x) / (yn - y)
    return bool(np.count_nonzero(cond & (px < xint)) % 2)


def ray_radius(xy: np.ndarray, origin, angles_rad: np.ndarray, outermost: bool = True
               ) -> np.ndarray:
    """Distance from ``origin`` to the polygon along each direction ``(cos, sin)`` (the
    farthest crossing when ``outermost``, else the nearest); NaN where a ray misses."""
    o = np.asarray(origin, dtype=float)
    p = xy - o
    q = np.roll(p, -1, axis=0) - p
    d = np.stack([np.cos(angles_rad), np.sin(angles_rad)], axis=1)
    # Solve o + t d = p + s q for every (ray, edge) pair.
    den = d[:, None, 0] * q[None, :, 1] - d[:, None, 1] * q[None, :, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (p[None, :, 0] * q[None, :, 1] - p[None, :, 1] * q[None, :, 0]) / den
        s = (p[None, :, 0] * d[:, None, 1] - p[None, :, 1] * d[:, None, 0]) / den
    hit = (np.abs(den) > 1e-12) & (s >= 0) & (s < 1) & (t > 0)
    if outermost:
        r = np.where(hit, t, -np.inf).max(axis=1)
        return np.where(np.isfinite(r), r, np.nan)
    r = np.where(hit, t, np.inf).min(axis=1)
    return np.where(np.isfinite(r), r, np.nan)


@dataclass(frozen=True)
class ContourMetrics:
    """Size and shape of a closed lumen contour (mm, mm²)."""

    perimeter_mm: float
    area_mm2: float
    perimeter_derived_diameter_mm: float
    area_derived_diameter_mm: float
    min_diameter_mm: float
    max_diameter_mm: float
    eccentricity: float
    centroid_ab_mm: tuple[float, float]
    max_direction_ab: tuple[float, float]

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("perimeter_mm", "area_mm2",
                                              "perimeter_derived_diameter_mm",
                                              "area_derived_diameter_mm", "min_diameter_mm",
                                              "max_diameter_mm", "eccentricity")}


def metrics(xy_mm: np.ndarray, n_angles: int = 360) -> ContourMetrics:
    """Perimeter, area, derived diameters, min/max diameter through the centroid and
    eccentricity (``1 - min/max``, Blanke et al. 2019) of a closed contour in mm."""
    xy = np.asarray(xy_mm, dtype=float)
    if xy.ndim != 2 or xy.shape[1] != 2 or len(xy) < 3:
        raise InputError("a contour needs at least three 2D points", "check the contour")
    area = abs(polygon_area(xy))
    per = perimeter(xy)
    c = polygon_centroid(xy)
    ang = np.linspace(0.0, np.pi, n_angles, endpoint=False)
    chords = ray_radius(xy, c, ang) + ray_radius(xy, c, ang + np.pi)
    chords = np.where(np.isfinite(chords), chords, np.nan)
    k_max, k_min = int(np.nanargmax(chords)), int(np.nanargmin(chords))
    # Refine the extremes with a parabola through the neighbouring angles (smooth contours).
    d_max, d_min = _refine(ang, chords, k_max, np.nanmax), _refine(ang, chords, k_min, np.nanmin)
    return ContourMetrics(
        perimeter_mm=per, area_mm2=area, perimeter_derived_diameter_mm=per / np.pi,
        area_derived_diameter_mm=2.0 * np.sqrt(area / np.pi), min_diameter_mm=d_min,
        max_diameter_mm=d_max, eccentricity=1.0 - d_min / d_max if d_max > 0 else 0.0,
        centroid_ab_mm=(float(c[0]), float(c[1])),
        max_direction_ab=(float(np.cos(ang[k_max])), float(np.sin(ang[k_max]))))


def _refine(ang: np.ndarray, f: np.ndarray, k: int, pick) -> float:
    n = len(f)
    y0, y1, y2 = f[(k - 1) % n], f[k], f[(k + 1) % n]
    den = y0 - 2 * y1 + y2
    if not np.all(np.isfinite([y0, y1, y2])) or abs(den) < 1e-12:
        return float(y1)
    x = 0.5 * (y0 - y2) / den
    if abs(x) > 1:
        return float(y1)
    return float(pick([y1, y1 - 0.25 * (y0 - y2) * x]))


def resample_closed(xy: np.ndarray, step_mm: float) -> np.ndarray:
    """Points evenly spaced by arc length along a closed polygon."""
    closed = np.vstack([xy, xy[:1]])
    seg = np.linalg.norm(np.diff(closed, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    n = max(8, int(round(s[-1] / step_mm)))
    t = np.linspace(0.0, s[-1], n, endpoint=False)
    return np.stack([np.interp(t, s, closed[:, 0]), np.interp(t, s, closed[:, 1])], axis=1)


def fourier_contour(xy_mm: np.ndarray, harmonics: int = 6, n_angles: int = 720,
                    origin=None, reject_mm: float = 0.6, exclude=None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Smooth star-shaped contour fitted to ``xy_mm``: the radius about ``origin`` (default
    the centroid) as a Fourier series of ``harmonics`` terms, fitted by least squares with
    outlier rejection (samples deviating by more than ``max(reject_mm, 3 x robust SD)`` are
    dropped), starting from an ellipse-like fit (two harmonics) so that a wide defect cannot
    drag the first fit. ``exclude(points (N, 2)) -> bool (N,)`` marks contour samples to
    leave out from the start (e.g. those bordering calcium).

    This is the interpolating closed curve that CT workstations draw through a lumen
    contour: marching-squares noise and narrow defects (calcium notches, a touching
    neighbour) do not bias the perimeter. Returns ``(contour (n_angles, 2), kept (bool per
    angle))``.
    """
    xy = np.asarray(xy_mm, dtype=float)
    c = polygon_centroid(xy) if origin is None else np.asarray(origin, dtype=float)
    th = np.linspace(0.0, 2 * np.pi, n_angles, endpoint=False)
    r = ray_radius(xy, c, th)
    d = np.stack([np.cos(th), np.sin(th)], axis=1)
    keep = np.isfinite(r)
    if exclude is not None:
        keep &= ~np.asarray(exclude(c + np.nan_to_num(r)[:, None] * d), dtype=bool)
    coef = None
    for order in sorted({min(2, harmonics), harmonics}):
        cols = [np.ones_like(th)]
        for m in range(1, order + 1):
            cols += [np.cos(m * th), np.sin(m * th)]
        basis = np.stack(cols, axis=1)
        for _ in range(5):
            if keep.sum() < 2 * len(cols):
                raise InputError("too few contour samples for a smooth fit",
                                 "check the section (calcium or a neighbour covers it)")
            coef, *_ = np.linalg.lstsq(basis[keep], r[keep], rcond=None)
            res = r - basis @ coef
            sd = 1.4826 * np.median(np.abs(res[keep]))
            new = keep & (np.abs(res) <= max(reject_mm, 3.0 * sd)) if order < harmonics \
                else np.isfinite(r) & (np.abs(res) <= max(reject_mm, 3.0 * sd))
            if exclude is not None:
                new &= ~np.asarray(exclude(c + np.nan_to_num(r)[:, None] * d), dtype=bool)
            if np.array_equal(new, keep):
                break
            keep = new
    rf = basis @ coef
    return c + rf[:, None] * d, keep
