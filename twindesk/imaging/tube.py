"""Tubes in a mask: lumen cross-sections, tracking along a vessel, minimal paths.

Tracking walks along a vessel by repeatedly cutting the lumen perpendicular to the current
direction, moving to the centroid of the lumen section and stepping on (the classical
"cross-section tracking" of vessel centerlines). A neighbour touching the vessel cannot pull
the walk away because each section is clipped to a disk a little wider than the vessel's
current radius. The walk stops where the lumen ends, or where the section fills its whole
clipping disk (the vessel opens into a heart chamber).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twindesk.imaging.grid import Grid
from twindesk.imaging.reslice import sample_plane, unit
from twindesk.jobs import CancelToken


@dataclass(frozen=True)
class Section:
    """One lumen cross-section (plane perpendicular to ``normal``)."""

    center_lps_mm: np.ndarray  # the sampling centre
    centroid_lps_mm: np.ndarray  # centroid of the lumen section
    normal: np.ndarray
    area_mm2: float
    radius_max_mm: float  # farthest lumen point from the centroid (inside the clip disk)
    rim_fraction: float  # fraction of the clip circle lying in the lumen (1: a chamber)

    @property
    def radius_eq_mm(self) -> float:
        return float(np.sqrt(self.area_mm2 / np.pi))


def lumen_section(mask: np.ndarray, grid: Grid, center_lps_mm, normal_lps, clip_radius_mm: float,
                  step_mm: float = 0.5, search_mm: float = 3.0) -> Section | None:
    """The connected lumen section through (or within ``search_mm`` of) ``center_lps_mm``,
    holes filled, clipped to a disk of ``clip_radius_mm``. None when no lumen is there."""
    from scipy import ndimage as ndi

    half = clip_radius_mm + 2 * step_mm
    ps = sample_plane(mask.view(np.uint8) if mask.dtype == bool else mask, grid, center_lps_mm,
                      normal_lps, half, step_mm, order=1)
    lumen = ps.values >= 0.5
    n = lumen.shape[0]
    c = (n - 1) / 2
    jj, ii = np.mgrid[0:n, 0:n]
    rr = np.hypot(jj - c, ii - c) * step_mm
    lab, count = ndi.label(lumen)
    if count == 0:
        return None
    hit = lab[int(round(c)), int(round(c))]
    if hit == 0:
        near = (rr <= search_mm) & lumen
        if not near.any():
            return None
        hit = lab[near][np.argmin(rr[near])]
    comp = ndi.binary_fill_holes(lab == hit)
    inside = comp & (rr <= clip_radius_mm)
    if not inside.any():
        return None
    rim = (rr > clip_radius_mm - 1.5 * step_mm) & (rr <= clip_radius_mm)
    rim_fraction = float(comp[rim].mean()) if rim.any() else 0.0
    jc, ic = np.argwhere(inside).mean(axis=0)
    centroid = ps.pixel_to_lps([[jc, ic]])[0]
    r_max = float(np.hypot(jj[inside] - jc, ii[inside] - ic).max() * step_mm + 0.5 * step_mm)
    return Section(np.asarray(center_lps_mm, float), centroid, ps.normal,
                   float(inside.sum() * step_mm ** 2), r_max, rim_fraction)


@dataclass(frozen=True)
class Track:
    """Sections visited by :func:`track`, from the start outwards; ``stop`` says why it ended
    (``"end"`` lumen ended, ``"chamber"`` opened into a chamber, ``"length"``, ``"edge"``)."""

    sections: list[Section]
    stop: str

    @property
    def points_lps_mm(self) -> np.ndarray:
        return np.array([s.centroid_lps_mm for s in self.sections]).reshape(-1, 3)


def track(mask: np.ndarray, grid: Grid, start_lps_mm, direction_lps, radius_mm: float,
          step_mm: float = 2.0, max_length_mm: float = 400.0, chamber_rim: float = 0.5,
          growth: float = 1.4, cancel: CancelToken | None = None) -> Track:
    """Follow a tube in ``mask`` from ``start_lps_mm`` along ``direction_lps``.

    ``radius_mm`` is the vessel radius at the start; each section is clipped to
    ``growth * r + 3 mm`` where ``r`` is the running radius, so the lumen may widen by about
    40 % per step but a touching neighbour is cut off.
    """
    d = unit(direction_lps)
    p = np.asarray(start_lps_mm, dtype=float)
    r = float(radius_mm)
    sections: list[Section] = []
    stop = "length"
    travelled = 0.0
    while travelled <= max_length_mm:
        if cancel is not None:
            cancel.check()
        if not grid.contains_zyx(grid.lps_to_zyx(p))[0]:
            stop = "edge"
            break
        sec = lumen_section(mask, grid, p, d, growth * r + 3.0)
        if sec is None:
            stop = "end"
            break
        if sec.rim_fraction > chamber_rim and sections:
            sections.append(sec)
            stop = "chamber"
            break
        sections.append(sec)
        # Re-centre, then take the direction from the last centroids (smooths the zigzag).
        back = sections[max(0, len(sections) - 4)].centroid_lps_mm
        if len(sections) >= 2 and np.linalg.norm(sec.centroid_lps_mm - back) > 1e-6:
            d = unit(0.5 * d + 0.5 * unit(sec.centroid_lps_mm - back))
        r = 0.7 * r + 0.3 * sec.radius_eq_mm
        p = sec.centroid_lps_mm + step_mm * d
        travelled += step_mm
    return Track(sections, stop)


def minimal_path(mask: np.ndarray, grid: Grid, start_zyx, end_zyx, power: float = 2.0,
                 dist: np.ndarray | None = None) -> np.ndarray:
    """The centred path between two voxels through ``mask`` (26-connected Dijkstra).

    An edge costs its length divided by the local distance-to-wall to the power ``power``,
    so the path keeps to the middle of the lumen and avoids thin bridges. Returns voxel
    indices ``(N, 3)`` from start to end; raises :class:`InputError` when not connected.
    """
    from scipy import ndimage as ndi
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import dijkstra

    from twindesk.errors import InputError
    from twindesk.imaging.blood import bbox_slices, distance_inside

    start = tuple(int(v) for v in np.round(start_zyx))
    end = tuple(int(v) for v in np.round(end_zyx))
    if not (mask[start] and mask[end]):
        raise InputError("path end points must lie inside the lumen", "move the points")
    lab, _ = ndi.label(mask, structure=np.ones((3, 3, 3), bool))
    if lab[start] != lab[end]:
        raise InputError("the two points are not connected through the lumen",
                         "check the segmentation between them")
    comp = lab == lab[start]
    sl = bbox_slices(comp, pad=1)
    sub = comp[sl]
    if dist is None:
        dist = distance_inside(sub, grid.spacing_zyx)
    else:
        dist = dist[sl]
    ids = -np.ones(sub.shape, dtype=np.int64)
    ids[sub] = np.arange(int(sub.sum()))
    speed = np.where(sub, np.maximum(dist, 1e-3) ** power, 0.0)
    rows, cols, w = [], [], []
    sp = grid.spacing_zyx
    for off in _half_neighbourhood():
        a, b = _shift_pairs(sub.shape, off)
        both = sub[a] & sub[b]
        length = float(np.linalg.norm(np.asarray(off) * sp))
        rows.append(ids[a][both])
        cols.append(ids[b][both])
        w.append(length * 0.5 * (1.0 / speed[a][both] + 1.0 / speed[b][both]))
    n = int(sub.sum())
    graph = coo_matrix((np.concatenate(w), (np.concatenate(rows), np.concatenate(cols))),
                       shape=(n, n)).tocsr()
    lo = np.array([s.start for s in sl])
    s_id = ids[tuple(np.asarray(start) - lo)]
    e_id = ids[tuple(np.asarray(end) - lo)]
    _, pred = dijkstra(graph, directed=False, indices=s_id, return_predecessors=True)
    path = [e_id]
    while path[-1] != s_id:
        nxt = pred[path[-1]]
        if nxt < 0:
            raise InputError("no path between the points", "check the segmentation")
        path.append(nxt)
    coords = np.argwhere(sub)[np.asarray(path[::-1])] + lo
    return coords


def _half_neighbourhood() -> list[tuple[int, int, int]]:
    offs = []
    for dz in (-1, 0, 1):
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                if (dz, dy, dx) > (0, 0, 0):
                    offs.append((dz, dy, dx))
    return offs


def _shift_pairs(shape, off):
    a, b = [], []
    for n, o in zip(shape, off):
        if o >= 0:
            a.append(slice(0, n - o))
            b.append(slice(o, n))
        else:
            a.append(slice(-o, n))
            b.append(slice(0, n + o))
    return tuple(a), tuple(b)


def ray_lengths(mask: np.ndarray, grid: Grid, center_lps_mm, normal_lps, n_rays: int = 32,
                max_mm: float = 40.0, step_mm: float = 0.75, gap_mm: float = 3.0,
                u_lps=None) -> np.ndarray:
    """Distance (mm) from ``center`` to the lumen's outer edge along ``n_rays`` rays in the
    plane perpendicular to ``normal``; ray ``i`` points along ``cos(a) u + sin(a) v`` with
    ``a = 2 pi i / n_rays`` (``u`` given, or from :func:`plane_frame`, ``v = normal x u``).

    A ray ends at the first run of at least ``gap_mm`` outside ``mask``, so a thin dark
    septum (the flap of a dissection, a stent strut shadow) does not stop it. Rays that never
    leave the lumen report ``max_mm``; a centre outside the lumen gives zeros.
    """
    from scipy import ndimage as ndi

    from twindesk.imaging.reslice import plane_frame

    if u_lps is None:
        u, v, _ = plane_frame(normal_lps)
    else:
        n = unit(normal_lps)
        u = unit(np.asarray(u_lps, float) - np.dot(u_lps, n) * n)
        v = np.cross(n, u)
    ang = np.linspace(0.0, 2 * np.pi, n_rays, endpoint=False)
    dirs = np.cos(ang)[:, None] * u + np.sin(ang)[:, None] * v
    t = np.arange(0.0, max_mm + step_mm, step_mm)
    pts = np.asarray(center_lps_mm, float) + t[None, :, None] * dirs[:, None, :]
    idx = grid.lps_to_zyx(pts.reshape(-1, 3)).T
    vals = ndi.map_coordinates(mask.view(np.uint8) if mask.dtype == bool else mask, idx, order=1,
                               mode="constant", cval=0).reshape(len(ang), len(t))
    inside = vals >= 0.5
    gap = max(1, int(np.ceil(gap_mm / step_mm)))
    # outside runs of length >= gap: a window sum of "outside" equal to gap
    out = (~inside).astype(np.int32)
    csum = np.concatenate([np.zeros((len(ang), 1), np.int32), np.cumsum(out, axis=1)], axis=1)
    run = np.zeros_like(inside)
    run[:, : len(t) - gap + 1] = (csum[:, gap:] - csum[:, : len(t) - gap + 1]) == gap
    run[:, len(t) - gap + 1:] = False
    first = np.where(run.any(axis=1), np.argmax(run, axis=1), len(t) - 1)
    lengths = t[first]
    lengths[~inside[:, 0]] = 0.0
    return lengths
