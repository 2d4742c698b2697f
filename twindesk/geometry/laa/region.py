"""The left atrial appendage separated from the atrial body in an atrium mask.

The body is what a morphological opening of the atrium with a ball of
``opening_fraction`` x the atrium's largest inscribed radius keeps (the same rule the
segmentation uses to tell the body from its offshoots, :func:`twindesk.imaging.heart.
trim_veins`): the ball fits in the body but not into the pulmonary veins or the appendage,
so every *protrusion* (a connected piece of the atrium outside the opened body) is a vein,
the appendage, or a small bulge of the wall.

Which protrusion is the appendage:

1. protrusions smaller than ``min_volume_ml`` are wall bulges;
2. protrusions that reach an *open* boundary (the image border, or the cut end of a vein
   or the mitral opening of a surface model) are veins or the mitral vestibule: the
   appendage is blind-ended;
3. a user hint point picks the protrusion containing it (or the nearest);
4. otherwise the closed protrusion pointing most nearly along the anatomical direction of
   the appendage from the atrium's centre: left, anterior and superior (the appendage
   arises from the anterolateral atrial wall below the left superior pulmonary vein and
   runs forward in the left atrioventricular groove; Beigel R et al., "The left atrial
   appendage: anatomy, function, and noninvasive evaluation", JACC Cardiovasc Imaging
   2014;7:1251-1265). Pulmonary veins drain into the posterior wall, so their protrusions
   point backward.

All arrays are ``[z, y, x]`` on a :class:`~twindesk.imaging.grid.Grid`; points are LPS mm.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from twindesk.errors import InputError
from twindesk.imaging.blood import bbox_slices, distance_inside
from twindesk.imaging.grid import Grid, sub_grid

#: Direction (LPS, unit) from the atrium's centre toward the appendage: left, anterior,
#: superior (see the module docstring).
APPENDAGE_PRIOR_LPS = tuple(float(v) for v in
                            np.array([0.6, -0.7, 0.4]) / np.linalg.norm([0.6, -0.7, 0.4]))


@dataclass(frozen=True)
class RegionParams:
    """How the appendage is found (see the module docstring).

    ``hint_lps_mm`` is a point in (or near) the appendage; it overrides the anatomical
    direction. ``opening_fraction`` is retried up to ``max_opening_fraction`` when no
    closed protrusion is found (an appendage as wide as the ball stays part of the body).
    """

    opening_fraction: float = 0.6
    max_opening_fraction: float = 0.8
    min_volume_ml: float = 0.3
    hint_lps_mm: tuple[float, float, float] | None = None


@dataclass(frozen=True)
class Protrusion:
    """One piece of the atrium outside its opened body."""

    label: int
    volume_ml: float
    centroid_lps_mm: tuple[float, float, float]
    direction_lps: tuple[float, float, float]
    max_inscribed_radius_mm: float
    open: bool
    prior_cosine: float

    def as_dict(self) -> dict:
        return {"volume_ml": round(self.volume_ml, 3),
                "centroid_lps_mm": [round(v, 2) for v in self.centroid_lps_mm],
                "direction_lps": [round(v, 3) for v in self.direction_lps],
                "max_inscribed_radius_mm": round(self.max_inscribed_radius_mm, 2),
                "open": self.open, "prior_cosine": round(self.prior_cosine, 3)}


@dataclass
class AppendageSplit:
    """The atrium cut into body and appendage (arrays on the cropped ``grid``)."""

    grid: Grid
    atrium: np.ndarray
    body: np.ndarray
    appendage: np.ndarray
    ball_radius_mm: float
    center_lps_mm: np.ndarray
    protrusions: list[Protrusion]
    chosen: int
    how: str
    distance_mm: np.ndarray = field(repr=False, default=None)

    @property
    def voxel_mm(self) -> float:
        return float(max(self.grid.spacing_mm))


def _border(shape: tuple[int, ...]) -> np.ndarray:
    out = np.zeros(shape, bool)
    for ax in range(3):
        idx = [slice(None)] * 3
        for end in (0, -1):
            idx[ax] = end
            out[tuple(idx)] = True
    return out


def opened_body(atrium: np.ndarray, dist: np.ndarray, spacing_zyx, radius_mm: float,
                center_zyx) -> np.ndarray:
    """The opening of ``atrium`` with a ball of ``radius_mm`` (union of the balls that fit),
    the piece containing ``center_zyx``. ``dist`` is the inside distance map (mm)."""
    from scipy import ndimage as ndi

    core = dist > radius_mm
    body = atrium & (distance_inside(~core, spacing_zyx)
                     <= radius_mm + 0.5 * float(np.min(spacing_zyx)))
    lab, _ = ndi.label(body)
    return lab == lab[tuple(center_zyx)]


def _protrusions(atrium, body, dist, grid, open_mask, center_lps, min_volume_ml):
    from scipy import ndimage as ndi

    lab, n = ndi.label(atrium & ~body)
    if n == 0:
        return lab, []
    idx = np.arange(1, n + 1)
    counts = ndi.sum(np.ones(lab.shape, np.float32), lab, idx)
    touches_open = (ndi.maximum(open_mask.astype(np.uint8), lab, idx) if open_mask is not None
                    else np.zeros(n))
    max_d = ndi.maximum(dist, lab, idx)
    cents = ndi.center_of_mass(np.ones(lab.shape, np.float32), lab, idx)
    prior = np.asarray(APPENDAGE_PRIOR_LPS)
    out = []
    for k in range(n):
        vol = float(counts[k] * grid.voxel_volume_mm3 / 1000.0)
        if vol < min_volume_ml:
            continue
        c = grid.zyx_to_lps(np.asarray(cents[k]))[0]
        d = c - center_lps
        d = d / max(np.linalg.norm(d), 1e-9)
        out.append(Protrusion(int(idx[k]), vol, tuple(float(v) for v in c),
                              tuple(float(v) for v in d), float(max_d[k]),
                              bool(touches_open[k]), float(d @ prior)))
    return lab, out


def _choose(prots: list[Protrusion], lab: np.ndarray, grid: Grid, hint) -> tuple[int, str]:
    closed = [i for i, p in enumerate(prots) if not p.open]
    if hint is not None:
        pool = closed or list(range(len(prots)))
        h = np.asarray(hint, float)
        best, best_d = -1, np.inf
        for i in pool:
            pts = grid.zyx_to_lps(np.argwhere(lab == prots[i].label))
            d = float(np.min(np.linalg.norm(pts - h, axis=1)))
            if d < best_d:
                best, best_d = i, d
        how = ("the protrusion containing the hint point" if best_d <= grid.spacing_mm[0]
               else f"the protrusion nearest the hint point ({best_d:.1f} mm away)")
        return best, how
    if not closed:
        return -1, ""
    best = max(closed, key=lambda i: (prots[i].prior_cosine, prots[i].volume_ml))
    how = ("the blind-ended protrusion pointing most nearly left-anterior-superior from the "
           f"atrium's centre (cosine {prots[best].prior_cosine:.2f}; "
           f"{len(closed)} blind-ended of {len(prots)} protrusions)")
    return best, how


def split_appendage(atrium: np.ndarray, grid: Grid, params: RegionParams = RegionParams(),
                    open_mask: np.ndarray | None = None) -> AppendageSplit:
    """Separate the appendage from the atrial body (see the module docstring).

    Parameters
    ----------
    atrium
        Bool mask ``[z, y, x]`` of the left atrium with its appendage on ``grid``.
    open_mask
        Voxels where the atrium is cut open (vein and mitral caps of a surface model); the
        image border always counts as open.

    Raises
    ------
    InputError
        When the mask is empty or no blind-ended protrusion exists (no appendage).
    """
    if not atrium.any():
        raise InputError("the left-atrium mask is empty",
                         "segment the left atrium first: twindesk segment CASE --structure la")
    open_full = _border(atrium.shape)
    if open_mask is not None:
        open_full |= open_mask
    sl = bbox_slices(atrium, pad=3)
    g = sub_grid(grid, sl)
    sub = atrium[sl]
    opened = open_full[sl] & sub
    dist = distance_inside(sub, g.spacing_zyx)
    c_zyx = np.unravel_index(int(np.argmax(dist)), dist.shape)
    r_max = float(dist[c_zyx])
    center = g.zyx_to_lps(np.asarray(c_zyx, float))[0]
    fractions = np.arange(params.opening_fraction, params.max_opening_fraction + 1e-9, 0.1)
    for frac in fractions:
        radius = float(frac * r_max)
        body = opened_body(sub, dist, g.spacing_zyx, radius, c_zyx)
        lab, prots = _protrusions(sub, body, dist, g, opened, center, params.min_volume_ml)
        chosen, how = _choose(prots, lab, g, params.hint_lps_mm)
        if chosen >= 0:
            return AppendageSplit(g, sub, body, lab == prots[chosen].label, radius, center,
                                  prots, chosen, how, dist)
    raise InputError(
        "no left atrial appendage found: every offshoot of the atrium is open-ended (a vein "
        "or the mitral opening) or smaller than "
        f"{params.min_volume_ml:g} ml",
        "check that the segmentation or surface includes the appendage, or give a point in "
        "it with --laa-point-lps")
