"""Vessel centerlines from a mask: main path, branches, lumen diameters along them.

1. Paths on a grid of at most 1 mm: the main path runs from the inlet (the root cut, or the
   most cranial end point) to the point geodesically farthest from it; branches are added
   while some part of the mask sticks out more than ``min_branch_mm`` beyond the tree's wall.
   Paths are distance-weighted minimal paths (:class:`twindesk.imaging.tube.VoxelGraph`).
2. Each path is resampled every ``step_mm``, smoothed, and re-centred onto the centroid of
   its perpendicular lumen section (twice), which puts it on the axis of a tube to a fraction
   of a voxel.
3. At every point: the lumen contour perpendicular to the tangent (area-equivalent, minimum
   and maximum diameter, :mod:`twindesk.geometry.sections`) and the radius of the largest
   sphere centred there that fits in the lumen (distance to the lumen surface).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from twindesk.geometry.sections import lumen_contour, smooth_field
from twindesk.imaging import tubemask
from twindesk.imaging.blood import bbox_slices
from twindesk.imaging.grid import Grid, coarsen_mask, sub_grid
from twindesk.imaging.tube import VoxelGraph
from twindesk.jobs import CancelToken, ProgressReporter

PATH_SPACING_MM = 1.0
SINUS_SEARCH_MM = 30.0
STJ_SEARCH_MM = 25.0
OSTIUM_MARGIN_MM = 10.0


@dataclass(frozen=True)
class CenterlineParams:
    """``step_mm`` between points; branches must stick out ``min_branch_mm`` beyond the
    parent's wall; at most ``max_branches``."""

    step_mm: float = 1.0
    min_branch_mm: float = 10.0
    max_branches: int = 8


@dataclass
class VesselPath:
    """One polyline with its lumen measurements (LPS mm)."""

    points_lps_mm: np.ndarray
    tangent_lps: np.ndarray
    arc_length_mm: np.ndarray
    radius_mm: np.ndarray
    diameter_area_mm: np.ndarray
    diameter_min_mm: np.ndarray
    diameter_max_mm: np.ndarray
    junction_arc_length_mm: float | None = None  # where a branch leaves the main lumen

    def as_json(self) -> dict:
        out = {"points_lps_mm": _rows(self.points_lps_mm),
               "arc_length_mm": _vals(self.arc_length_mm), "radius_mm": _vals(self.radius_mm),
               "diameter_area_mm": _vals(self.diameter_area_mm),
               "diameter_min_mm": _vals(self.diameter_min_mm),
               "diameter_max_mm": _vals(self.diameter_max_mm),
               "tangent_lps": _rows(self.tangent_lps, 5)}
        if self.junction_arc_length_mm is not None:
            out["junction_arc_length_mm"] = round(float(self.junction_arc_length_mm), 2)
        return out


@dataclass
class Centerline:
    main: VesselPath
    branches: list[VesselPath] = field(default_factory=list)


def _vals(a, nd: int = 3) -> list[float]:
    return [round(float(v), nd) for v in a]


def _rows(a, nd: int = 3) -> list[list[float]]:
    return [[round(float(v), nd) for v in row] for row in a]


def compute(mask: np.ndarray, grid: Grid, inlet_lps_mm=None, inlet_normal_lps=None,
            params: CenterlineParams = CenterlineParams(), progress=None,
            cancel: CancelToken | None = None, branch_tips_lps_mm=None) -> Centerline:
    """Centerline of the vessel in ``mask`` (bool ``[z, y, x]`` on ``grid``).

    ``inlet_lps_mm`` / ``inlet_normal_lps`` (pointing into the vessel) fix the start, e.g.
    the aortic root cut; otherwise the start is the most cranial end of the longest path.
    ``branch_tips_lps_mm`` (e.g. the arch stubs the segmentation cut) are used as the branch
    ends instead of searching for side branches.
    """
    from twindesk.errors import InputError

    rep = ProgressReporter(progress, cancel=cancel)
    if not mask.any():
        raise InputError("the mask is empty", "segment the structure first")
    sl = bbox_slices(mask, pad=3)
    g = sub_grid(grid, sl)
    sub = mask[sl]
    rep(0.0, "paths")
    coarse, gc = coarsen_mask(sub, g, PATH_SPACING_MM)
    paths = _voxel_paths(coarse, gc, inlet_lps_mm, inlet_normal_lps, params, cancel,
                         branch_tips_lps_mm)
    rep(0.3, "centring")
    fld = smooth_field(sub, g)
    surface = _iso_surface(fld, g)
    out = []
    for k, (pts, junction) in enumerate(paths):
        rep(0.3 + 0.7 * k / len(paths), "lumen sections")
        # The main path also starts at an end of the mask (or at the inlet cut); a branch
        # starts inside its parent.
        out.append(_measure(pts, fld, g, surface, params.step_mm, cancel,
                            extend_start=(k == 0)))
        if junction is not None:
            out[-1].junction_arc_length_mm = _junction(out[0], out[-1])
    rep(1.0, "done")
    # Searched branches must be long enough to be branches; known tips (the stubs the
    # segmentation cut) are branches however short their recentred path.
    min_mm = params.min_branch_mm if branch_tips_lps_mm is None else 0.0
    branches = [b for b in out[1:] if len(b.points_lps_mm) >= 3
                and b.arc_length_mm[-1] >= min_mm]
    return Centerline(out[0], branches)


def _junction(main: VesselPath, branch: VesselPath) -> float:
    """Arc length on the main path where the branch leaves it: the main point nearest to the
    first branch point outside the main lumen (farther from the main axis than its radius)."""
    from scipy.spatial import cKDTree

    d, k = cKDTree(main.points_lps_mm).query(branch.points_lps_mm)
    outside = np.flatnonzero(d > main.radius_mm[k])
    first = int(outside[0]) if outside.size else 0
    return float(main.arc_length_mm[k[first]])


def _voxel_paths(mask: np.ndarray, g: Grid, inlet, inlet_normal, params: CenterlineParams,
                 cancel, branch_tips=None) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """Main path then branches as LPS point arrays (voxel centres), each branch with the
    LPS point where it leaves the tree."""
    weighted = VoxelGraph(mask, g, power=2.0)
    plain = VoxelGraph(mask, g, power=0.0, dist=None)
    radius = weighted.dist[tuple((weighted.coords - weighted.lo).T)]  # per node, mm
    if inlet is not None:
        p = np.asarray(inlet, float) + 1.5 * np.asarray(inlet_normal, float)
        start = weighted.nearest_node(g.lps_to_zyx(p)[0])
    else:
        start = _cranial_end(plain, g)
    cost, _, _ = plain.search(start)
    cost = np.where(np.isfinite(cost), cost, -1)
    end = int(np.argmax(cost))
    _, pred, _ = weighted.search(start)
    if inlet is None:  # the start is a rim voxel of the other end cap too
        back, _, _ = plain.search(end)
        back = np.where(np.isfinite(back), back, -1)
        way = VoxelGraph.walk(pred, end)[::-1]
        r0 = _tip_radius(radius, way)
        start = _axis_end(radius, back, back >= back[start] - 2 * r0, r0, start)
        cost, _, _ = plain.search(start)
        cost = np.where(np.isfinite(cost), cost, -1)
        _, pred, _ = weighted.search(start)
    r1 = _tip_radius(radius, VoxelGraph.walk(pred, end))
    end = _axis_end(radius, cost, cost >= cost[end] - 2 * r1, r1, end)
    main = VoxelGraph.walk(pred, end)
    tree = list(main)
    paths = [(g.zyx_to_lps(weighted.coords[main]), None)]
    xyz = g.zyx_to_lps(weighted.coords)
    if branch_tips is not None:
        return paths + _hinted_branches(weighted, radius, xyz, g, tree, branch_tips)
    for _ in range(params.max_branches):
        if cancel is not None:
            cancel.check()
        cost, _, src = plain.search(tree)
        cost = np.where(np.isfinite(cost), cost, -1)
        tip = int(np.argmax(cost))
        # The parent's radius near the attachment: the widest tree node within reach. The
        # far rim of an end cap is only about one radius from the tree, a branch is more.
        tree_idx = np.asarray(tree)
        near = np.linalg.norm(xyz[tree_idx] - xyz[src[tip]], axis=1) <= 2 * cost[tip]
        parent_r = float(radius[tree_idx[near]].max())
        if cost[tip] < parent_r + max(params.min_branch_mm, 0.3 * parent_r):
            break
        _, pred, _ = weighted.search(tree)
        way = VoxelGraph.walk(pred, tip)
        tree.extend(way)  # searched once: never offered again, kept or not
        outside = np.asarray([n for n in way if cost[n] > parent_r])
        if outside.size == 0 or np.median(radius[outside]) > 0.8 * parent_r:
            continue  # as wide as the parent: a bulge of the lumen, not a side branch
        r_tip = _tip_radius(radius, way)
        own = np.isin(src, [src[tip]]) & (cost >= cost[tip] - 2 * r_tip)
        tip = _axis_end(radius, cost, own, r_tip, tip)
        branch = VoxelGraph.walk(pred, tip)
        paths.append((xyz[branch], xyz[branch[0]]))
    return paths


def _hinted_branches(weighted: VoxelGraph, radius: np.ndarray, xyz: np.ndarray, g: Grid,
                     tree: list[int], tips) -> list[tuple[np.ndarray, np.ndarray]]:
    """Paths from the main path to known branch tips (e.g. the stubs the segmentation cut);
    a tip no longer in the mask (erased by hand) is skipped."""
    out = []
    _, pred, _ = weighted.search(tree)
    for tip in tips:
        node = weighted.nearest_node(g.lps_to_zyx(tip)[0])
        if np.linalg.norm(xyz[node] - np.asarray(tip, float)) > max(5.0, radius[node]):
            continue
        way = VoxelGraph.walk(pred, node)
        if len(way) >= 3:
            out.append((xyz[way], xyz[way[0]]))
    return out


def _axis_end(radius: np.ndarray, cost: np.ndarray, near_end: np.ndarray,
              r_tip: float, far: int) -> int:
    """The geodesically farthest node sits on the rim of an end cap; return instead the node
    on the vessel's axis about one radius before the cap: among the nodes ``near_end``
    (within two radii of the end), the one nearest the end of those nearly as wide as the
    widest."""
    cand = np.flatnonzero(near_end)
    if cand.size == 0:
        return far
    wide = cand[radius[cand] >= 0.9 * radius[cand].max()]
    return int(wide[np.argmax(cost[wide])])  # of the widest, the one nearest the end


def _tip_radius(radius: np.ndarray, way: list[int]) -> float:
    """The vessel radius near the end of a path: the widest node on its last third."""
    return float(radius[np.asarray(way[len(way) * 2 // 3:])].max())


def _cranial_end(plain: VoxelGraph, g: Grid) -> int:
    """Of the two ends of the mask's longest geodesic, the more cranial (higher LPS z)."""
    centre = int(np.argmax(plain.dist[tuple((plain.coords - plain.lo).T)]))
    cost, _, _ = plain.search(centre)
    a = int(np.argmax(np.where(np.isfinite(cost), cost, -1)))
    cost, _, _ = plain.search(a)
    b = int(np.argmax(np.where(np.isfinite(cost), cost, -1)))
    za, zb = g.zyx_to_lps(plain.coords[[a, b]])[:, 2]
    return a if za >= zb else b


def _iso_surface(fld: np.ndarray, g: Grid):
    """The 0.5 iso-surface of the smoothed mask (LPS mm) as an implicit distance function."""
    from twindesk.geometry import vtk_classes as vtk

    from twindesk.geometry.surface import iso_surface

    poly = iso_surface(fld, g, 0.5)
    imp = vtk.vtkImplicitPolyDataDistance()
    imp.SetInput(poly)
    return imp


def _measure(points: np.ndarray, fld: np.ndarray, g: Grid, surface, step_mm: float,
             cancel, extend_start: bool = False) -> VesselPath:
    coarse_step = max(step_mm, 2.0)  # centring needs fewer sections than measuring
    pts = tubemask.resample_polyline(points, coarse_step)
    if len(pts) < 3:
        pts = tubemask.resample_polyline(points, max(0.25, coarse_step / 4))
    pts = tubemask.smooth_polyline(pts, 1.0)
    pts = _recentre(pts, fld, g, surface, coarse_step, cancel)
    r_end = abs(surface.EvaluateFunction(*pts[-1]))
    pts = _extend_tip(pts, fld, g, coarse_step / 2, max(r_end, 2 * step_mm))
    if extend_start:
        r0 = abs(surface.EvaluateFunction(*pts[0]))
        pts = _extend_tip(pts[::-1], fld, g, coarse_step / 2, max(r0, 2 * step_mm))[::-1]
    pts = _recentre(pts, fld, g, surface, coarse_step, cancel)
    pts = tubemask.smooth_polyline(tubemask.resample_polyline(pts, step_mm),
                                   coarse_step / step_mm / 2)
    tan = tubemask.tangents(pts)
    radius = np.array([abs(surface.EvaluateFunction(*p)) for p in pts])
    sizes = _local_size(radius, int(round(5.0 / step_mm)))
    n = len(pts)
    d_area, d_min, d_max = (np.full(n, np.nan) for _ in range(3))
    for k in range(n):
        if cancel is not None and k % 25 == 0:
            cancel.check()
        c = _section(fld, g, pts[k], tan[k], sizes[k])
        if c is not None:
            d_area[k], d_min[k], d_max[k] = c.diameter_area_mm, c.diameter_min_mm, c.diameter_max_mm
    keep = np.isfinite(d_area)
    pts, tan, radius = pts[keep], tan[keep], radius[keep]
    d_area, d_min, d_max = d_area[keep], d_min[keep], d_max[keep]
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))])
    return VesselPath(pts, tan, arc, radius, d_area, d_min, d_max)


def _local_size(radius: np.ndarray, half_window: int) -> np.ndarray:
    """The largest inscribed radius within ``half_window`` points: a plane big enough for
    the lumen even where the point sits near a wall (a septum, an ostium)."""
    from scipy import ndimage as ndi

    return ndi.maximum_filter1d(radius, size=2 * half_window + 1, mode="nearest")


def _section(fld: np.ndarray, g: Grid, point, tangent, size_mm: float):
    """The lumen contour through ``point`` perpendicular to ``tangent``; the plane grows
    once when the contour does not close inside it."""
    for scale in (1.0, 2.0):
        half = scale * (1.5 * size_mm + 4.0)
        step = float(np.clip(half / 80.0, 0.2, 0.5))
        c = lumen_contour(fld, g, point, tangent, half_size_mm=half, step_mm=step)
        if c is not None:
            return c
    return None


def _recentre(pts: np.ndarray, fld: np.ndarray, g: Grid, surface, step_mm: float, cancel
              ) -> np.ndarray:
    """Move every inner point onto the centre of its perpendicular lumen section, branch
    ostia ignored (the end points stay: their sections are cut by the end caps), then
    resample and smooth."""
    tan = tubemask.tangents(pts)
    radius = np.array([abs(surface.EvaluateFunction(*p)) for p in pts])
    sizes = _local_size(radius, max(1, int(round(5.0 / step_mm))))
    moved = pts.copy()
    for k in range(1, len(pts) - 1):
        if cancel is not None and k % 25 == 0:
            cancel.check()
        c = _section(fld, g, pts[k], tan[k], sizes[k])
        if c is not None:
            shift = c.robust_center_lps_mm() - pts[k]
            moved[k] = pts[k] + shift - np.dot(shift, tan[k]) * tan[k]
    return tubemask.smooth_polyline(tubemask.resample_polyline(moved, step_mm), 1.0)


def _extend_tip(pts: np.ndarray, fld: np.ndarray, g: Grid, step_mm: float, reach_mm: float
                ) -> np.ndarray:
    """Continue the path straight along its last direction (over ``reach_mm``) until the
    lumen ends: paths stop on the axis about one radius before an end cap."""
    from twindesk.imaging.grid import sample

    if len(pts) < 3:
        return pts
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))])
    k = int(np.searchsorted(s, s[-1] - reach_mm))
    direction = pts[-1] - pts[min(k, len(pts) - 2)]
    norm = np.linalg.norm(direction)
    if norm < 1e-9:
        return pts
    direction /= norm
    ext = []
    for t in np.arange(step_mm, 4 * reach_mm + 2 * step_mm, step_mm):
        p = pts[-1] + t * direction
        if sample(fld, g.lps_to_zyx(p))[0] < 0.5:
            break
        ext.append(p)
    return np.concatenate([pts, np.asarray(ext).reshape(-1, 3)])


def ascending_summary(main: VesselPath, branches: list[VesselPath]) -> dict | None:
    """The ascending aorta's largest diameter and where (main path starting at the root).

    The sinus of Valsalva maximum is sought in the first 30 mm; the sino-tubular junction is
    the narrowest section within 25 mm above it; the ascending aorta runs from there to
    10 mm short of the first arch branch (or, without branches, to the arch's top).
    """
    s, d = main.arc_length_mm, main.diameter_area_mm
    if len(s) < 10:
        return None
    first = s <= SINUS_SEARCH_MM
    k_sinus = int(np.argmax(np.where(first, d, -np.inf)))
    window = (s >= s[k_sinus]) & (s <= s[k_sinus] + STJ_SEARCH_MM)
    k_stj = int(np.argmin(np.where(window, d, np.inf)))
    junctions = [b.junction_arc_length_mm for b in branches if b.junction_arc_length_mm is not None
                 and b.junction_arc_length_mm > s[k_stj]]
    s_end = min(junctions) if junctions else float(s[int(np.argmax(main.points_lps_mm[:, 2]))])
    # Sections cut into a branch's ostium near the junction: stay 10 mm short of it.
    seg = (s >= s[k_stj]) & (s <= s_end - (OSTIUM_MARGIN_MM if junctions else 0.0))
    if not seg.any():
        return None
    k = int(np.argmax(np.where(seg, d, -np.inf)))
    return {"diameter_area_mm": round(float(d[k]), 2),
            "diameter_max_mm": round(float(main.diameter_max_mm[k]), 2),
            "diameter_min_mm": round(float(main.diameter_min_mm[k]), 2),
            "arc_length_mm": round(float(s[k]), 1),
            "point_lps_mm": [round(float(v), 2) for v in main.points_lps_mm[k]],
            "segment_arc_length_mm": [round(float(s[k_stj]), 1), round(float(s_end), 1)],
            "sinus_diameter_area_mm": round(float(d[k_sinus]), 2),
            "sinus_arc_length_mm": round(float(s[k_sinus]), 1),
            "stj_diameter_area_mm": round(float(d[k_stj]), 2),
            "stj_arc_length_mm": round(float(s[k_stj]), 1)}
