"""Measurements on a deployed frame (both fidelities).

Definitions
-----------
* Levels: ``inflow`` and ``outflow`` are the frame's crown rings; ``annulus`` is the
  frame's cross-section in the annulus plane; ``waist`` is the cross-section at the
  heat-set waist's height fraction (self-expanding) or at mid-height (``nodal``
  level of balloon-expandable frames and occluders).
* A cross-section is the set of points where struts cross the plane (crown nodes for the
  inflow and outflow edges). Diameters are those of the least-squares ellipse through
  them (direct fit of Fitzgibbon et al., IEEE TPAMI 1999;21:476, in the numerically
  stable form of Halíř & Flusser, 1998), grown by the strut thickness to the outer
  surface: ``max``/``min`` the axes, ``mean`` area-derived (2√(ab)), ``perimeter`` by
  Ramanujan's formula — as frame diameters are read on CT. The polygon through the
  points (the skirt follows the struts) gives the contour used for gaps and distances.
* Eccentricity index ``1 − Dmin/Dmax`` as used for annulus and deployed-frame geometry
  in MSCT studies (e.g. Schultz et al., Eur Heart J 2010;31:849, who report Dmax/Dmin;
  and Achenbach et al., SCCT expert consensus, J Cardiovasc Comput Tomogr 2012;6:366).
* Expansion: area-derived diameter over the nominal outer diameter at the same
  relative height, in percent.
* Paravalvular gap: along rays from the frame section's centre, the tissue radius minus
  the frame's outer radius; where the smallest gap over the sealing band (annulus plane
  ± ``band_mm``) exceeds 1 mm, the area between frame and tissue in the annulus plane
  counts (a channel through the whole band can leak).
* Contact pressure: the foundation force the frame puts on the wall, spread over the
  tissue vertices near each contact sample with a force-conserving kernel (radius 1.5 ×
  the sample's equivalent radius, at least the vertex spacing), divided by vertex area.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from twindesk.sim.mechanics.frame import nominal_profile
from twindesk.sim.mechanics.params import OccluderSize
from twindesk.sim.mechanics.results import DeployedFrame

LEVELS = ("inflow", "annulus", "waist", "outflow")


@dataclass(frozen=True)
class Section:
    """Outer contour of the frame in a plane z = z_mm (frame coordinates)."""

    z_mm: float
    center_mm: np.ndarray          # (2,)
    angles_rad: np.ndarray         # sampling of the contour
    radius_mm: np.ndarray          # outer radius along each angle from the centre
    d_min_mm: float
    d_max_mm: float
    d_mean_mm: float
    perimeter_mm: float

    @property
    def eccentricity(self) -> float:
        return 1.0 - self.d_min_mm / self.d_max_mm

    def as_dict(self) -> dict:
        return {"z_mm": self.z_mm, "min_mm": self.d_min_mm, "max_mm": self.d_max_mm,
                "mean_mm": self.d_mean_mm, "perimeter_mm": self.perimeter_mm,
                "eccentricity": self.eccentricity}


def fit_ellipse(points_xy: np.ndarray):
    """Centre (2,), semi-axes (a >= b) and major-axis angle of the least-squares ellipse
    through 2D points, or None when the points do not determine one."""
    p = np.asarray(points_xy, float)
    if len(p) < 5:
        return None
    m = p.mean(axis=0)
    scale = max(float(np.abs(p - m).max()), 1e-12)
    x, y = ((p - m) / scale).T
    d1 = np.column_stack([x * x, x * y, y * y])
    d2 = np.column_stack([x, y, np.ones_like(x)])
    s1, s2, s3 = d1.T @ d1, d1.T @ d2, d2.T @ d2
    try:
        t = -np.linalg.solve(s3, s2.T)
    except np.linalg.LinAlgError:
        return None
    mm = s1 + s2 @ t
    mm = np.array([mm[2] / 2, -mm[1], mm[0] / 2])
    w, v = np.linalg.eig(mm)
    v = np.real(v)
    cond = 4 * v[0] * v[2] - v[1] ** 2
    if not np.any(cond > 0):
        return None
    a1 = v[:, np.argmax(cond > 0)]
    A, B, C = a1
    D, E, F = t @ a1
    den = 4 * A * C - B * B
    if abs(den) < 1e-14:
        return None
    x0 = (B * E - 2 * C * D) / den
    y0 = (B * D - 2 * A * E) / den
    fc = A * x0 * x0 + B * x0 * y0 + C * y0 * y0 + D * x0 + E * y0 + F
    lam, vec = np.linalg.eigh(np.array([[A, B / 2], [B / 2, C]]))
    if fc == 0 or np.any(-fc / lam <= 0):
        return None
    semi = np.sqrt(-fc / lam) * scale
    k = int(np.argmax(semi))
    angle = float(np.arctan2(vec[1, k], vec[0, k]))
    centre = m + scale * np.array([x0, y0])
    return centre, float(semi.max()), float(semi.min()), angle


def _polygon_section(points_xy: np.ndarray, z: float, outer_mm: float,
                     n_angles: int = 360) -> Section:
    fit = fit_ellipse(points_xy)
    c = fit[0] if fit is not None else points_xy.mean(axis=0)
    d = points_xy - c
    ang = np.arctan2(d[:, 1], d[:, 0])
    order = np.argsort(ang)
    ang, rad = ang[order], np.hypot(d[order, 0], d[order, 1])
    # the contour as a closed polygon in polar form around the centre
    theta = np.linspace(-np.pi, np.pi, n_angles, endpoint=False)
    a_ext = np.concatenate([ang - 2 * np.pi, ang, ang + 2 * np.pi])
    r_ext = np.tile(rad, 3)
    pts_ext = np.column_stack([r_ext * np.cos(a_ext), r_ext * np.sin(a_ext)])
    # radius along each ray: intersect with the polygon edge spanning that angle
    k = np.searchsorted(a_ext, theta) - 1
    p0, p1 = pts_ext[k], pts_ext[k + 1]
    u = np.column_stack([np.cos(theta), np.sin(theta)])
    e = p1 - p0
    den = u[:, 0] * e[:, 1] - u[:, 1] * e[:, 0]
    t = (p0[:, 0] * e[:, 1] - p0[:, 1] * e[:, 0]) / np.where(np.abs(den) < 1e-12, 1e-12, den)
    r = np.abs(t) + outer_mm
    if fit is not None:
        a, b = fit[1] + outer_mm, fit[2] + outer_mm
    else:
        a = b = float(np.mean(rad)) + outer_mm
    h = ((a - b) / (a + b)) ** 2
    perim = np.pi * (a + b) * (1 + 3 * h / (10 + np.sqrt(4 - 3 * h)))
    return Section(float(z), c, theta, r, float(2 * b), float(2 * a), float(2 * np.sqrt(a * b)),
                   float(perim))


def section_at(df: DeployedFrame, z_mm: float) -> Section | None:
    """Frame cross-section in the plane z = z_mm (None outside the frame)."""
    x = df.nodes_frame_mm
    za, zb = x[df.beams[:, 0], 2], x[df.beams[:, 1], 2]
    cross = (np.minimum(za, zb) <= z_mm) & (np.maximum(za, zb) > z_mm) & (za != zb)
    if cross.sum() < 3:
        return None
    a, b = x[df.beams[cross, 0]], x[df.beams[cross, 1]]
    t = ((z_mm - a[:, 2]) / (b[:, 2] - a[:, 2]))[:, None]
    pts = a[:, :2] + t * (b[:, :2] - a[:, :2])
    return _polygon_section(pts, z_mm, 0.5 * df.thickness_mm)


def ring_section(df: DeployedFrame, level: int) -> Section:
    """Outer contour through the crowns of a lattice level (inflow/outflow edges)."""
    ring = df.ring(level)
    x = df.nodes_frame_mm[ring]
    return _polygon_section(x[:, :2], float(x[:, 2].mean()), 0.5 * df.thickness_mm)


def level_heights(df: DeployedFrame) -> dict[str, float | None]:
    """Heights (frame coordinates) of the four reporting levels."""
    x = df.nodes_frame_mm
    z_in = float(x[df.ring(0), 2].mean())
    z_out = float(x[df.ring(df.levels - 1), 2].mean())
    size = df.device.size
    frac = 0.5
    if df.device.kind == "self-expanding" and getattr(size, "has_profile", False):
        frac = size.waist_position_fraction
    annulus = df.annulus_z_mm if z_in < df.annulus_z_mm < z_out else None
    return {"inflow": z_in, "annulus": annulus, "waist": z_in + frac * (z_out - z_in),
            "outflow": z_out}


def level_sections(df: DeployedFrame) -> dict[str, Section | None]:
    heights = level_heights(df)
    out = {"inflow": ring_section(df, 0), "outflow": ring_section(df, df.levels - 1)}
    for name in ("annulus", "waist"):
        out[name] = section_at(df, heights[name]) if heights[name] is not None else None
    return {k: out[k] for k in LEVELS}


def nominal_outer_diameter_mm(df: DeployedFrame, level_fraction: float) -> float:
    """Nominal outer diameter at a relative height (0 inflow, 1 outflow)."""
    if isinstance(df.device.size, OccluderSize):
        return float(df.device.size.diameter_mm)
    prof = nominal_profile(df.device)
    return float(2 * prof.radius(np.array([level_fraction * prof.height_mm]))[0]
                 + df.thickness_mm)


def level_report(df: DeployedFrame) -> dict[str, dict | None]:
    """Per level: diameters, eccentricity and expansion % of nominal."""
    heights = level_heights(df)
    z_in, z_out = heights["inflow"], heights["outflow"]
    out = {}
    for name, sec in level_sections(df).items():
        if sec is None:
            out[name] = None
            continue
        frac = (sec.z_mm - z_in) / max(z_out - z_in, 1e-9)
        nominal = nominal_outer_diameter_mm(df, frac)
        row = sec.as_dict()
        row["nominal_mm"] = nominal
        row["expansion_pct"] = float(100.0 * sec.d_mean_mm / nominal)
        out[name] = row
    return out


# ---------------------------------------------------------------------- tissue pressure
def tissue_pressure(df: DeployedFrame) -> np.ndarray:
    """Contact pressure (MPa) per tissue vertex (see module docstring)."""
    surf = df.tissue_frame
    if surf is None:
        return np.zeros(0)
    on_tissue = -df.tissue_force_on_frame_n
    active = np.flatnonzero(np.linalg.norm(on_tissue, axis=1) > 0)
    force = np.zeros((len(surf.points), 3))
    if len(active):
        spacing = float(np.sqrt(np.median(surf.vertex_area)))
        rad = np.maximum(1.5 * np.sqrt(df.sample_area_mm2[active] / np.pi), 1.2 * spacing)
        tree = cKDTree(surf.points)
        for i, r in zip(active, rad):
            ids = np.asarray(tree.query_ball_point(df.sample_points_frame_mm[i], r))
            if len(ids) == 0:
                _, j = tree.query(df.sample_points_frame_mm[i])
                ids = np.array([j])
            q = np.linalg.norm(surf.points[ids] - df.sample_points_frame_mm[i], axis=1) / r
            w = np.clip(1 - q, 0, 1) ** 4 * (4 * q + 1) + 1e-12
            force[ids] += (w / w.sum())[:, None] * on_tissue[i]
    normal_force = np.maximum(np.sum(force * surf.vertex_normal, axis=1), 0.0)
    return normal_force / np.maximum(surf.vertex_area, 1e-12)


def pressure_stats(df: DeployedFrame, pressure_mpa: np.ndarray | None = None) -> dict:
    """Max, mean and 95th percentile contact pressure (kPa) over the contact area, the
    contact area (mm²) and the total force the frame puts on the wall (N)."""
    p = tissue_pressure(df) if pressure_mpa is None else pressure_mpa
    if df.tissue_frame is None or len(p) == 0 or not np.any(p > 0):
        return {"max_kpa": 0.0, "mean_kpa": 0.0, "p95_kpa": 0.0, "contact_area_mm2": 0.0,
                "total_force_n": 0.0}
    area = df.tissue_frame.vertex_area
    on = p > 1e-3 * p.max()
    return {"max_kpa": 1e3 * float(p.max()),
            "mean_kpa": 1e3 * float(np.sum(p[on] * area[on]) / area[on].sum()),
            "p95_kpa": 1e3 * float(np.percentile(p[on], 95)),
            "contact_area_mm2": float(area[on].sum()),
            "total_force_n": float(np.linalg.norm(df.tissue_force_on_frame_n, axis=1).sum())}


# ---------------------------------------------------------------------- paravalvular gap
def _tissue_rays(surf, z, center, theta):
    """Distance from ``center`` along each angle to the tissue's cut in the plane z."""
    p = surf.points[surf.faces]                                  # (F, 3, 3)
    s = p[:, :, 2] - (z + 1e-9)                                  # off any vertex
    crossing = (s.min(1) < 0) & (s.max(1) > 0)
    tri, ss = p[crossing], s[crossing]
    pts = np.zeros((len(tri), 3, 2))
    mask = np.zeros((len(tri), 3), bool)
    for k, (i, j) in enumerate(((0, 1), (1, 2), (2, 0))):
        mask[:, k] = ss[:, i] * ss[:, j] < 0
        t = (ss[:, i] / np.where(mask[:, k], ss[:, i] - ss[:, j], 1.0))[:, None]
        pts[:, k] = tri[:, i, :2] + t * (tri[:, j, :2] - tri[:, i, :2])
    good = mask.sum(1) == 2
    order = np.argsort(~mask[good], axis=1, kind="stable")[:, :2]
    rows = np.arange(good.sum())
    a = pts[good][rows, order[:, 0]] - center
    b = pts[good][rows, order[:, 1]] - center
    if len(a) == 0:
        return np.full(len(theta), np.nan)
    u = np.column_stack([np.cos(theta), np.sin(theta)])           # (T, 2)
    e = b - a                                                     # (S, 2)
    den = u[:, None, 0] * e[None, :, 1] - u[:, None, 1] * e[None, :, 0]
    den = np.where(np.abs(den) < 1e-12, np.nan, den)
    t = (a[None, :, 0] * e[None, :, 1] - a[None, :, 1] * e[None, :, 0]) / den
    v = (a[None, :, 0] * u[:, None, 1] - a[None, :, 1] * u[:, None, 0]) / den
    ok = (t > 0) & (v >= 0) & (v <= 1)
    return _nanmin(np.where(ok, t, np.nan), axis=1)


def _nanmin(a, axis):
    """``np.nanmin`` that returns NaN for all-NaN slices without a warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmin(a, axis=axis)


def paravalvular_gap(df: DeployedFrame, band_mm: float = 2.0, threshold_mm: float = 1.0,
                     z_mm: float | None = None) -> dict:
    """Frame–tissue gap around the annulus (see module docstring)."""
    surf = df.tissue_frame
    z0 = df.annulus_z_mm if z_mm is None else z_mm
    sec0 = section_at(df, z0)
    if surf is None or sec0 is None:
        return {"area_mm2": None, "max_gap_mm": None, "arc_deg": None}
    theta = sec0.angles_rad
    gaps = []
    for dz in np.linspace(-band_mm, band_mm, 5):
        sec = section_at(df, z0 + dz) if dz else sec0
        if sec is None:
            continue
        r_t = _tissue_rays(surf, z0 + dz, sec0.center_mm, theta)
        r_f = np.interp(theta, sec.angles_rad, sec.radius_mm, period=2 * np.pi)
        gaps.append(r_t - r_f)
    gap_min = _nanmin(np.vstack(gaps), axis=0)
    r_t0 = _tissue_rays(surf, z0, sec0.center_mm, theta)
    leak = gap_min > threshold_mm
    dth = 2 * np.pi / len(theta)
    area = float(np.sum(0.5 * (r_t0[leak] ** 2 - sec0.radius_mm[leak] ** 2)) * dth)
    finite = np.isfinite(gap_min)
    return {"area_mm2": area,
            "max_gap_mm": float(gap_min[finite].max()) if np.any(finite) else None,
            "arc_deg": float(np.degrees(leak.sum() * dth))}


# ---------------------------------------------------------------------- points, LAAO
def point_distances(df: DeployedFrame, points_lps_mm: np.ndarray) -> list[dict]:
    """For each LPS point: 3D distance to the nearest strut surface and the horizontal
    distance (perpendicular to the device axis, at the point's height) to the frame's
    outer contour; negative horizontal distance means inside the frame."""
    pts = df.transform.to_frame(np.atleast_2d(points_lps_mm))
    x = df.nodes_frame_mm
    a, b = x[df.beams[:, 0]], x[df.beams[:, 1]]
    e = b - a
    out = []
    for p in pts:
        t = np.clip(np.sum((p - a) * e, 1) / np.maximum(np.sum(e * e, 1), 1e-12), 0, 1)
        d3 = float(np.min(np.linalg.norm(a + t[:, None] * e - p, axis=1))) \
            - 0.5 * df.thickness_mm
        sec = section_at(df, float(p[2]))
        horiz = None
        if sec is not None:
            rel = p[:2] - sec.center_mm
            ang = np.arctan2(rel[1], rel[0])
            r_f = np.interp(ang, sec.angles_rad, sec.radius_mm, period=2 * np.pi)
            horiz = float(np.hypot(*rel) - r_f)
        out.append({"distance_mm": d3, "horizontal_mm": horiz})
    return out


def compression_pct(df: DeployedFrame, z_mm: float | None = None) -> float | None:
    """Occluder compression at a plane (default: the landing plane): (nominal − mean
    deployed diameter)/nominal in percent, the manufacturers' sizing measure."""
    z = df.annulus_z_mm if z_mm is None else z_mm
    sec = section_at(df, z)
    if sec is None:
        return None
    nominal = (df.device.size.diameter_mm if isinstance(df.device.size, OccluderSize)
               else df.device.size.nominal_diameter_mm)
    return 100.0 * (nominal - sec.d_mean_mm) / nominal


def device_axis_lps(df: DeployedFrame) -> np.ndarray:
    """Unit axis of the deployed frame (inflow → outflow) in LPS: the line through the
    centroids of the lattice rings (least squares)."""
    c = np.array([df.nodes_frame_mm[df.ring(k)].mean(axis=0) for k in range(df.levels)])
    _, _, vt = np.linalg.svd(c - c.mean(axis=0))
    axis = vt[0] if np.dot(vt[0], c[-1] - c[0]) > 0 else -vt[0]
    return df.transform.vector_to_lps(axis)


def axis_angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    """Angle (degrees, 0–90) between two axes regardless of their orientation."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    c = abs(float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b))))
    return float(np.degrees(np.arccos(min(1.0, c))))
