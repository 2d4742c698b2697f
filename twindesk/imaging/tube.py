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
          growth: float = 1.4, chamber_growth: float = 1.5,
          cancel: CancelToken | None = None) -> Track:
    """Follow a tube in ``mask`` from ``start_lps_mm`` along ``direction_lps``.

    ``radius_mm`` is the vessel radius at the start; each section is clipped to
    ``growth * r + 3 mm`` where ``r`` is the running radius, so the lumen may widen by about
    40 % per step but a touching neighbour is cut off. The walk has entered a chamber when
    the section fills its clipping circle's rim, or when it is ``chamber_growth`` times as
    wide as the narrowest of the last eight sections (a gradually opening cavity).
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
        recent = [x.radius_eq_mm for x in sections[-8:]]
        if sections and (sec.rim_fraction > chamber_rim
                         or sec.radius_eq_mm > chamber_growth * min(recent)):
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


class VoxelGraph:
    """The 26-connected voxels of a mask as a weighted graph for Dijkstra searches.

    An edge costs its length (mm) divided by the mean of ``speed`` at its two voxels; with
    ``speed = distance-to-wall ** power`` paths keep to the middle of the lumen and avoid
    thin bridges (``power`` 0 gives plain geodesic lengths).
    """

    def __init__(self, mask: np.ndarray, grid: Grid, power: float = 2.0,
                 dist: np.ndarray | None = None):
        from scipy.sparse import coo_matrix

        from twindesk.imaging.blood import bbox_slices, distance_inside

        if not mask.any():
            from twindesk.errors import InputError

            raise InputError("the mask is empty", "segment the structure first")
        self.sl = bbox_slices(mask, pad=1)
        self.lo = np.array([s.start for s in self.sl])
        sub = mask[self.sl]
        self.dist = distance_inside(sub, grid.spacing_zyx) if dist is None else dist[self.sl]
        self.ids = -np.ones(sub.shape, dtype=np.int64)
        self.ids[sub] = np.arange(int(sub.sum()))
        self.coords = np.argwhere(sub) + self.lo
        speed = np.maximum(self.dist, 1e-3) ** power if power else np.ones(sub.shape)
        rows, cols, w = [], [], []
        for off in _half_neighbourhood():
            a, b = _shift_pairs(sub.shape, off)
            both = sub[a] & sub[b]
            length = float(np.linalg.norm(np.asarray(off) * grid.spacing_zyx))
            rows.append(self.ids[a][both])
            cols.append(self.ids[b][both])
            w.append(length * 0.5 * (1.0 / speed[a][both] + 1.0 / speed[b][both]))
        n = len(self.coords)
        self.graph = coo_matrix((np.concatenate(w), (np.concatenate(rows), np.concatenate(cols))),
                                shape=(n, n)).tocsr()

    def node(self, idx_zyx) -> int:
        """The graph node of a voxel (-1 outside the mask)."""
        i = np.round(np.asarray(idx_zyx)).astype(int) - self.lo
        if np.any(i < 0) or np.any(i >= self.ids.shape):
            return -1
        return int(self.ids[tuple(i)])

    def nearest_node(self, idx_zyx) -> int:
        """The node nearest to a (possibly outside) voxel position."""
        d = np.linalg.norm(self.coords - np.asarray(idx_zyx, float), axis=1)
        return int(np.argmin(d))

    def search(self, sources):
        """Dijkstra from one or several nodes: (cost, predecessor, source) per node."""
        from scipy.sparse.csgraph import dijkstra

        cost, pred, src = dijkstra(self.graph, directed=False, indices=np.atleast_1d(sources),
                                   return_predecessors=True, min_only=True)
        return cost, pred, src

    @staticmethod
    def walk(pred: np.ndarray, target: int) -> list[int]:
        """Nodes from the search's source to ``target`` (inclusive)."""
        path = [int(target)]
        while pred[path[-1]] >= 0:
            path.append(int(pred[path[-1]]))
        return path[::-1]


def minimal_path(mask: np.ndarray, grid: Grid, start_zyx, end_zyx, power: float = 2.0,
                 dist: np.ndarray | None = None) -> np.ndarray:
    """The centred path between two voxels through ``mask`` (see :class:`VoxelGraph`).
    Returns voxel indices ``(N, 3)`` from start to end; raises :class:`InputError` when the
    points are outside the lumen or not connected through it."""
    from scipy import ndimage as ndi

    from twindesk.errors import InputError

    start = tuple(int(v) for v in np.round(start_zyx))
    end = tuple(int(v) for v in np.round(end_zyx))
    if not (mask[start] and mask[end]):
        raise InputError("path end points must lie inside the lumen", "move the points")
    lab, _ = ndi.label(mask, structure=np.ones((3, 3, 3), bool))
    if lab[start] != lab[end]:
        raise InputError("the two points are not connected through the lumen",
                         "check the segmentation between them")
    g = VoxelGraph(lab == lab[start], grid, power, dist)
    s_id, e_id = g.node(start), g.node(end)
    _, pred, _ = g.search(s_id)
    return g.coords[np.asarray(VoxelGraph.walk(pred, e_id))]


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
