"""Automatic aorta seeds: bright round cross-sections stacked along z.

In axial slices of a CTA the descending thoracic aorta is the longest stack of bright, round,
homogeneous disks (radius 7-25 mm) and the ascending aorta a second, anterior stack that
the arch joins to the first. The circularity test is Hough-like without the voting: a disk's
largest inscribed circle (the in-plane distance-transform maximum) has the radius of the
disk of equal area, which no elongated or branching blob satisfies.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from twindesk.imaging.blood import distance_inside
from twindesk.imaging.grid import Grid

#: Seeds are searched above this fraction of the way from soft tissue to the contrast peak:
#: high enough to drop the dimmer false lumen of a dissection, low enough for mixing.
SEED_LEVEL = 0.7
RADIUS_RANGE_MM = (7.0, 25.0)
#: inscribed radius / equal-area radius of a candidate disk (1 for a perfect disk).
MIN_ROUNDNESS = 0.78
#: Fraction of a disk's voxels within +-150 HU of its median (blood is homogeneous, bone not).
MIN_HOMOGENEITY = 0.85


@dataclass
class Disk:
    z: int
    center_zyx: np.ndarray
    radius_mm: float
    median_hu: float


@dataclass
class Chain:
    disks: list[Disk] = field(default_factory=list)

    def length_mm(self, dz_mm: float) -> float:
        """Extent along z (mm) for slices ``dz_mm`` apart."""
        return float(self.disks[-1].z - self.disks[0].z + 1) * dz_mm

    def middle(self) -> Disk:
        return self.disks[len(self.disks) // 2]

    @property
    def mean_center_zyx(self) -> np.ndarray:
        return np.mean([d.center_zyx for d in self.disks], axis=0)


def find_disks(hu: np.ndarray, grid: Grid, threshold_hu: float) -> list[Disk]:
    """Round, bright, homogeneous disks in every axial slice (``hu`` smoothed, ``[z, y, x]``).

    Candidates are local maxima of the in-plane distance transform (centres of inscribed
    circles), so a vessel touching a neighbour still yields its own centre. A candidate is
    kept when most rays from it leave the contrast within 1.3 inscribed radii (round) and
    the voxels inside are homogeneous. Assumes the volume's third axis is (close to) the
    head-foot axis, as in every axial CT acquisition.
    """
    from scipy import ndimage as ndi

    sz, sy, sx = grid.spacing_zyx
    mask = hu >= threshold_hu
    # In-plane distance: a huge z spacing makes the nearest background always in-plane.
    dist = distance_inside(mask, (1e6, sy, sx))
    k = 2 * int(RADIUS_RANGE_MM[0] / min(sy, sx)) + 1
    peaks = (dist >= RADIUS_RANGE_MM[0]) & (dist <= RADIUS_RANGE_MM[1]) & \
        (dist == ndi.maximum_filter(dist, size=(1, k, k)))
    cand = np.argwhere(peaks)
    if cand.size == 0:
        return []
    r_in = dist[tuple(cand.T)] - 0.5 * min(sy, sx)  # EDT overshoots the edge by half a voxel
    ang = np.linspace(0, 2 * np.pi, _RAYS, endpoint=False)
    steps = np.arange(0.0, 1.6 * RADIUS_RANGE_MM[1] + 5.0, 0.75)  # mm
    disks = []
    for (z, y, x), r in zip(cand, r_in):
        ray_len = _ray_lengths(mask[z], y, x, ang, steps[steps <= 1.6 * r + 5.0], sy, sx)
        round_frac = np.mean(ray_len <= 1.3 * r + 1.5)
        if round_frac < MIN_ROUNDNESS:
            continue
        radius = float(np.median(ray_len))
        inner = _disk_values(hu[z], y, x, 0.7 * r, sy, sx)
        med = float(np.median(inner))
        if med >= 1000.0 or np.mean(np.abs(inner - med) <= 150.0) < MIN_HOMOGENEITY:
            continue  # denser than 1000 HU: bone or an inflow streak
        disks.append(Disk(int(z), np.array([z, y, x], dtype=float), radius, med))
    return _suppress_overlaps(disks, sy)


_RAYS = 24


def _ray_lengths(mask2d, y, x, ang, steps_mm, sy, sx) -> np.ndarray:
    """Distance (mm) from ``(y, x)`` to the first voxel outside ``mask2d`` along each ray."""
    from scipy import ndimage as ndi

    yy = y + np.outer(np.sin(ang), steps_mm) / sy
    xx = x + np.outer(np.cos(ang), steps_mm) / sx
    inside = ndi.map_coordinates(mask2d.astype(np.uint8), [yy.ravel(), xx.ravel()], order=0,
                                 mode="constant", cval=0).reshape(yy.shape).astype(bool)
    first_out = np.where(inside.all(axis=1), inside.shape[1], np.argmin(inside, axis=1))
    return steps_mm[np.minimum(first_out, len(steps_mm) - 1)]


def _disk_values(img2d, y, x, radius_mm, sy, sx) -> np.ndarray:
    ry, rx = int(radius_mm / sy), int(radius_mm / sx)
    yy, xx = np.mgrid[-ry:ry + 1, -rx:rx + 1]
    inside = (yy * sy) ** 2 + (xx * sx) ** 2 <= radius_mm ** 2
    yy, xx = yy[inside] + y, xx[inside] + x
    ok = (yy >= 0) & (yy < img2d.shape[0]) & (xx >= 0) & (xx < img2d.shape[1])
    return img2d[yy[ok], xx[ok]]


def _suppress_overlaps(disks: list[Disk], spacing: float) -> list[Disk]:
    """Keep the largest disk where several candidates of one slice overlap (plateaus)."""
    out: list[Disk] = []
    for d in sorted(disks, key=lambda d: -d.radius_mm):
        if all(o.z != d.z or np.linalg.norm((o.center_zyx - d.center_zyx)[1:]) * spacing
               > o.radius_mm for o in out):
            out.append(d)
    return out


def link_chains(disks: list[Disk], grid: Grid, max_shift_fraction: float = 0.35,
                max_gap: int = 2) -> list[Chain]:
    """Link disks of nearby slices (up to ``max_gap`` slices missing) whose centres and radii
    agree into chains, each ordered by z."""
    sp = grid.spacing_zyx
    chains: list[Chain] = []
    for z in sorted({d.z for d in disks}):
        taken: set[int] = set()
        for d in sorted((d for d in disks if d.z == z), key=lambda d: -d.radius_mm):
            best, best_shift = None, np.inf
            for i, c in enumerate(chains):
                last = c.disks[-1]
                if i in taken or not 1 <= z - last.z <= max_gap + 1:
                    continue
                shift = np.linalg.norm((d.center_zyx[1:] - last.center_zyx[1:]) * sp[1:])
                ratio = d.radius_mm / last.radius_mm
                if shift <= max_shift_fraction * last.radius_mm * (z - last.z) \
                        and 0.75 <= ratio <= 1.33 and shift < best_shift:
                    best, best_shift = i, shift
            if best is None:
                chains.append(Chain([d]))
                taken.add(len(chains) - 1)
            else:
                chains[best].disks.append(d)
                taken.add(best)
    return chains


@dataclass(frozen=True)
class AortaSeeds:
    """Seed points (LPS mm) found automatically, with how they were found."""

    descending_lps_mm: tuple[float, float, float]
    ascending_lps_mm: tuple[float, float, float] | None
    descending_radius_mm: float
    ascending_radius_mm: float | None
    source: str


def find_aorta_seeds(hu: np.ndarray, grid: Grid, min_chain_mm: float = 30.0) -> AortaSeeds | None:
    """Seeds in the ascending and the descending aorta.

    Chains of round disks at least ``min_chain_mm`` long are paired: the descending aorta is
    posterior to the ascending one (by 15 mm or more) and the arch joins the two through
    contrast at least 40 % of their radius wide (an erosion keeps them connected). The pair
    with the longest total length wins. With no such pair the longest chain is the only seed.
    """
    from twindesk.imaging.blood import TISSUE_HU_GUESS, contrast_peak_hu

    peak = contrast_peak_hu(hu)
    level = TISSUE_HU_GUESS + SEED_LEVEL * (peak - TISSUE_HU_GUESS)
    dz = float(grid.spacing_zyx[0])
    chains = [c for c in link_chains(find_disks(hu, grid, level), grid)
              if c.length_mm(dz) >= min_chain_mm]
    if not chains:
        return None
    chains.sort(key=lambda c: -c.length_mm(dz))
    pair = _best_pair(hu >= level, grid, chains)
    if pair is None:
        c = chains[0]
        m = c.middle()
        return AortaSeeds(_lps(grid, m), None, m.radius_mm, None,
                          f"auto: aorta, round cross-sections over {c.length_mm(dz):.0f} mm "
                          f"(r {m.radius_mm:.1f} mm)")
    asc, desc = pair
    a, d = asc.middle(), desc.middle()
    return AortaSeeds(_lps(grid, d), _lps(grid, a), d.radius_mm, a.radius_mm,
                      f"auto: round cross-sections of the descending aorta over "
                      f"{desc.length_mm(dz):.0f} mm (r {d.radius_mm:.1f} mm) and of the "
                      f"ascending aorta over {asc.length_mm(dz):.0f} mm (r {a.radius_mm:.1f} mm)")


def _lps(grid: Grid, disk: Disk) -> tuple[float, float, float]:
    return tuple(float(v) for v in grid.zyx_to_lps(disk.center_zyx)[0])


def _best_pair(mask: np.ndarray, grid: Grid, chains: list[Chain]) -> tuple[Chain, Chain] | None:
    from scipy import ndimage as ndi

    if len(chains) < 2:
        return None
    r_min = min(c.middle().radius_mm for c in chains)
    core = distance_inside(mask, grid.spacing_zyx) > 0.4 * r_min
    lab, _ = ndi.label(core)
    labels = [{int(lab[tuple(np.round(x.center_zyx).astype(int))]) for x in c.disks} - {0}
              for c in chains]
    y = [grid.zyx_to_lps(c.mean_center_zyx)[0][1] for c in chains]  # LPS: +y is posterior
    best, best_len = None, 0
    for i, a in enumerate(chains):
        for j, d in enumerate(chains):
            if y[j] < y[i] + 15.0 or not labels[i] & labels[j]:
                continue
            total = len(a.disks) + len(d.disks)
            if total > best_len:
                best, best_len = (a, d), total
    return best
