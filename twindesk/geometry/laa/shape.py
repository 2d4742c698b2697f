"""Appendage axis, depth, bend, lobes and morphology class.

The axis is the centerline (:func:`twindesk.geometry.centerline.compute`) of the appendage
lumen distal to the ostium plane, started at the ostium centre; its main path runs to the
geodesically farthest point (the apex of the dominant lobe) and its branches that stick
out at least ``min_lobe_mm`` beyond the dominant lobe's wall are secondary lobes.

Definitions (LPS mm)
--------------------
depth_mm
    Length of the axis from the ostium plane to the apex of the dominant lobe.
depth_perpendicular_mm
    Largest distance of the appendage lumen from the ostium plane.
depth_along_normal_mm
    From the ostium centre along the ostium normal to the wall: the room straight ahead of
    a device delivered perpendicular to the ostium.
bend_deg
    Angle between the direction the appendage leaves the atrium (the axis chord over its
    first 10 mm, or third) and the direction of its distal axis (the chord over the last
    ``distal_window_mm`` before the apex, excluding the last 2 mm where the axis runs into
    the rounded tip); ``bend_position_fraction`` is where along the axis half of that turn
    is reached.
lobes
    The dominant lobe, then each secondary lobe with its distance from the ostium along
    the axis, its length beyond the dominant lobe's wall and its diameter.

Morphology
----------
The four classes of Di Biase L et al., "Does the left atrial appendage morphology correlate
with the risk of stroke in patients with atrial fibrillation?", J Am Coll Cardiol
2012;60:531-538, with this quantitative rule (the one the demo phantom's truth states):

* **cauliflower** — no dominant lobe longer than the ostium is wide:
  ``depth_mm < max ostium diameter``;
* **chicken-wing** — the dominant lobe bends by 90 degrees or more, with half the turn
  reached in its proximal two thirds;
* **cactus** — a dominant central lobe with secondary lobes on opposite sides of it (two
  lobes whose directions across the axis differ by more than 120 degrees);
* **windsock** — otherwise: one dominant lobe of sufficient length, bending less, with
  secondary lobes (if any) arising from one side.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twindesk.geometry.centerline import CenterlineParams, VesselPath, compute
from twindesk.geometry.laa.ostium import AppendageRegion, OstiumPlane
from twindesk.imaging.grid import sample

MORPHOLOGY_RULE = (
    "Di Biase L et al., J Am Coll Cardiol 2012;60:531-538 classes, quantified: cauliflower "
    "when the axis depth is shorter than the maximum ostium diameter (no dominant lobe); "
    "chicken-wing when the dominant lobe bends by >= 90 degrees (proximal vs distal "
    "axis) with half the turn in its proximal two thirds; cactus when secondary lobes leave "
    "the dominant lobe on opposite sides (directions across the axis > 120 degrees apart); "
    "windsock otherwise.")


@dataclass(frozen=True)
class ShapeParams:
    """Axis sampling and lobe threshold (mm)."""

    step_mm: float = 1.0
    min_lobe_mm: float = 5.0
    max_lobes: int = 6
    distal_window_mm: float = 6.0


@dataclass
class Lobe:
    distance_from_ostium_mm: float
    length_mm: float
    diameter_mm: float
    tip_lps_mm: np.ndarray
    direction_lps: np.ndarray
    across_lps: np.ndarray          # direction component across the dominant axis (unit)


@dataclass
class Shape:
    axis: VesselPath
    depth_mm: float
    depth_perpendicular_mm: float
    depth_along_normal_mm: float
    bend_deg: float
    bend_position_fraction: float
    lobes: list[Lobe]
    volume_ml: float
    surface_area_mm2: float

    def point_at(self, arc_mm: float) -> np.ndarray:
        s, p = self.axis.arc_length_mm, self.axis.points_lps_mm
        return np.array([np.interp(arc_mm, s, p[:, k]) for k in range(3)])

    def tangent_at(self, arc_mm: float, half_window_mm: float = 3.0) -> np.ndarray:
        s = self.axis.arc_length_mm
        a = self.point_at(max(0.0, arc_mm - half_window_mm))
        b = self.point_at(min(float(s[-1]), arc_mm + half_window_mm))
        d = b - a
        return d / max(np.linalg.norm(d), 1e-9)


def distal_mask(region: AppendageRegion, plane: OstiumPlane) -> np.ndarray:
    """The appendage lumen on the appendage side of ``plane``."""
    idx = np.argwhere(region.mask)
    keep = plane.height_mm(region.grid.zyx_to_lps(idx.astype(float))) >= 0.0
    out = np.zeros_like(region.mask)
    out[tuple(idx[keep].T)] = True
    return out


def _angle_deg(a, b) -> float:
    c = float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))
    return float(np.degrees(np.arccos(np.clip(c, -1.0, 1.0))))


def bend(axis: VesselPath, window_mm: float, proximal_mm: float = 10.0
         ) -> tuple[float, float]:
    """Bend angle (deg) of the axis and where half of it is reached (fraction of the axis
    length); see the module docstring."""
    s, p = axis.arc_length_mm, axis.points_lps_mm
    length = float(s[-1])

    def at(x):
        return np.array([np.interp(x, s, p[:, k]) for k in range(3)])

    end = max(length - 2.0, 0.5 * length)
    start = max(0.0, end - window_mm)
    prox = at(min(proximal_mm, length / 3.0)) - at(0.0)
    total = _angle_deg(prox, at(end) - at(start))
    # half the turn is reached where the axis (chords over 8 mm) last stays below it
    xs = np.arange(4.0, max(end - 4.0, 4.0) + 1e-9, 1.0)
    turned = np.array([_angle_deg(prox, at(x + 4.0) - at(x - 4.0)) >= 0.5 * total
                       for x in xs])
    below = np.flatnonzero(~turned)
    where = float(xs[below[-1] + 1] if below.size and below[-1] + 1 < len(xs)
                  else (xs[0] if not below.size else end)) / length
    return total, where


def through_ostium(main: VesselPath, plane: OstiumPlane, straight_mm: float = 5.0,
                   step_mm: float = 1.0) -> VesselPath:
    """The axis started at the ostium centre: the first ``straight_mm`` of the centerline
    (where sections are cut by the ostium plane and their centroids wander) replaced by
    the straight segment from the ostium centre; arc lengths from the ostium centre."""
    from twindesk.imaging import tubemask

    keep = main.arc_length_mm >= straight_mm
    if keep.sum() < 2:
        keep[:] = True
    pts = np.vstack([plane.center[None], main.points_lps_mm[keep]])
    pts = tubemask.resample_polyline(pts, step_mm)
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))])
    near = np.argmin(np.linalg.norm(pts[:, None] - main.points_lps_mm[None], axis=2), axis=1)
    return VesselPath(pts, tubemask.tangents(pts), arc, main.radius_mm[near],
                      main.diameter_area_mm[near], main.diameter_min_mm[near],
                      main.diameter_max_mm[near])


def straight_tip(main: VesselPath, region: AppendageRegion, step_mm: float = 1.0
                 ) -> VesselPath:
    """The axis with its last stretch (1.5 tip radii before the apex, where sections are
    cut by the rounded tip and the path drifts toward the farthest rim voxel) replaced by
    the straight continuation of the axis before it, up to the wall."""
    from twindesk.imaging import tubemask

    s, p = main.arc_length_mm, main.points_lps_mm
    length = float(s[-1])
    r_tip = float(np.clip(np.median(main.radius_mm[len(s) * 3 // 4:]), 1.0, 0.3 * length))
    cut = length - 1.5 * r_tip
    if cut < 8.0:
        return main

    def at(x):
        return np.array([np.interp(x, s, p[:, k]) for k in range(3)])

    a, b = at(cut - 6.0), at(cut)
    d = (b - a) / max(np.linalg.norm(b - a), 1e-9)
    t = np.arange(0.0, 4.0 * r_tip + 10.0, 0.25)
    ray = b[None] + t[:, None] * d[None]
    vals = sample(region.field, region.grid.lps_to_zyx(ray))
    out = np.flatnonzero(vals < 0.5)
    end = ray[out[0] - 1] if out.size and out[0] > 0 else ray[-1]
    pts = np.vstack([p[s < cut], b[None], end[None]])
    pts = tubemask.resample_polyline(pts, step_mm)
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))])
    near = np.argmin(np.linalg.norm(pts[:, None] - p[None], axis=2), axis=1)
    return VesselPath(pts, tubemask.tangents(pts), arc, main.radius_mm[near],
                      main.diameter_area_mm[near], main.diameter_min_mm[near],
                      main.diameter_max_mm[near])


def _lobes(cl, main: VesselPath, min_lobe_mm: float) -> list[Lobe]:
    out = []
    for br in cl.branches:
        pts = br.points_lps_mm
        d_axis = np.min(np.linalg.norm(pts[:, None, :] - main.points_lps_mm[None], axis=2),
                        axis=1)
        j = int(np.argmin(np.linalg.norm(main.points_lps_mm - pts[0], axis=1)))
        r_parent = float(main.radius_mm[j])
        tip = pts[-1]
        k = int(np.argmin(np.linalg.norm(main.points_lps_mm - tip, axis=1)))
        length = float(np.linalg.norm(tip - main.points_lps_mm[k])) - r_parent
        if length < min_lobe_mm:
            continue
        beyond = d_axis > r_parent + 1.0
        diam = float(np.median(br.diameter_area_mm[beyond])) if np.any(beyond) else \
            float(np.median(br.diameter_area_mm))
        direction = tip - main.points_lps_mm[k]
        direction /= max(np.linalg.norm(direction), 1e-9)
        t = main.tangent_lps[k]
        across = direction - (direction @ t) * t
        across /= max(np.linalg.norm(across), 1e-9)
        s_j = float(main.arc_length_mm[j])
        out.append(Lobe(s_j, length, diam, tip, direction, across))
    return out


def _ray_depth(region: AppendageRegion, plane: OstiumPlane, step_mm: float = 0.25) -> float:
    g = region.grid
    t = np.arange(0.0, 200.0, step_mm)
    pts = plane.center[None] + t[:, None] * plane.normal[None]
    vals = sample(region.field, g.lps_to_zyx(pts))
    out = np.flatnonzero(vals < 0.5)
    out = out[out > 0]
    if out.size == 0:
        return float(t[-1])
    k = int(out[0])
    # linear interpolation of the 0.5 crossing
    v0, v1 = vals[k - 1], vals[k]
    return float(t[k - 1] + step_mm * (v0 - 0.5) / max(v0 - v1, 1e-9))


def analyse_shape(region: AppendageRegion, plane: OstiumPlane,
                  params: ShapeParams = ShapeParams(), cancel=None) -> Shape:
    """Axis, depths, bend and lobes of the appendage distal to ``plane``."""
    from twindesk.errors import InputError
    from twindesk.geometry.surface import iso_surface

    mask = distal_mask(region, plane)
    if mask.sum() < 20:
        raise InputError("the appendage has almost no lumen beyond the ostium plane",
                         "move the ostium plane toward the atrium")
    cl = compute(mask, region.grid, plane.center, plane.normal,
                 CenterlineParams(step_mm=params.step_mm, min_branch_mm=params.min_lobe_mm,
                                  max_branches=params.max_lobes), cancel=cancel)
    main = straight_tip(through_ostium(cl.main, plane, step_mm=params.step_mm), region,
                        params.step_mm)
    depth = float(main.arc_length_mm[-1])
    total, where = bend(main, params.distal_window_mm)
    from twindesk.geometry.sections import smooth_field
    from vtkmodules.util import numpy_support as ns

    poly = iso_surface(smooth_field(mask, region.grid), region.grid, 0.5)
    pts = ns.vtk_to_numpy(poly.GetPoints().GetData()).astype(float)
    perp = float(plane.height_mm(pts).max()) if len(pts) else depth
    from twindesk.geometry.surface import check

    chk = check(poly)
    return Shape(main, depth, perp, _ray_depth(region, plane), total, where,
                 _lobes(cl, main, params.min_lobe_mm), chk.volume_mm3 / 1000.0,
                 chk.area_mm2)


def classify(depth_mm: float, max_ostium_mm: float, bend_deg: float,
             bend_position_fraction: float, lobes: list[Lobe]) -> tuple[str, list[str]]:
    """Morphology class and the reasons (see the module docstring)."""
    if depth_mm < max_ostium_mm:
        return "cauliflower", [f"depth {depth_mm:.1f} mm < maximum ostium diameter "
                               f"{max_ostium_mm:.1f} mm: no dominant lobe"]
    if bend_deg >= 90.0 and bend_position_fraction <= 2.0 / 3.0:
        return "chicken-wing", [f"dominant lobe bends {bend_deg:.0f} deg (>= 90), half the "
                                f"turn at {100 * bend_position_fraction:.0f} % of its length"]
    for i in range(len(lobes)):
        for j in range(i + 1, len(lobes)):
            a = _angle_deg(lobes[i].across_lps, lobes[j].across_lps)
            if a > 120.0:
                return "cactus", [f"secondary lobes on opposite sides of the dominant lobe "
                                  f"({a:.0f} deg apart across its axis)"]
    why = [f"dominant lobe {depth_mm:.1f} mm deep (>= ostium {max_ostium_mm:.1f} mm)",
           f"bend {bend_deg:.0f} deg (< 90 or distal)"]
    if lobes:
        why.append(f"{len(lobes)} secondary lobe(s) on one side")
    return "windsock", why
