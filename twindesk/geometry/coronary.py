"""Automatic coronary ostia: bright tubular branches leaving the left and right sinus walls.

The coronary height used for TAVR planning is the perpendicular distance from the annulus
plane to the **lower edge** of each coronary ostium (Blanke P, et al. SCCT expert consensus
on CT for TAVI/TAVR, J Cardiovasc Comput Tomogr 2019;13:1-20; heights below 10-12 mm flag a
risk of coronary obstruction).

Method (all in the root frame of :mod:`twindesk.geometry.annulus`):

1. The root wall: the lumen radius about the axis for heights above the annulus and every
   2 deg (:func:`twindesk.geometry.root_locate.wall_radius_map`); a coronary ostium makes a
   narrow spike there, so a median filter of :data:`WALL_MEDIAN_DEG` x
   :data:`WALL_MEDIAN_MM` gives the wall as if the ostia were closed.
2. Shells: the CT is sampled on surfaces ``DELTAS_MM`` outside that wall (0.25 mm in height,
   1 deg in angle). Outside the root only blood-filled branches are as bright as the lumen:
   a coronary shows as a compact bright disk of its calibre (1.5-8 mm), present on every
   shell (a tube leaving the wall), and never brighter than calcium.
3. Lower edge: in the disk's centre column the intensity falls below the half level between
   the disk's peak and the surrounding tissue (the half-maximum edge criterion, as for the
   lumen contours) at the rim's lowest point; that height on each shell, extrapolated
   linearly to the wall (so a branch leaving obliquely is measured where it leaves), is the
   ostium's lower edge.
4. Side: the disk lying in the left-coronary sinus (angles closer to the left hinge than to
   the other two) is the left ostium, in the right sinus the right one; several disks in one
   sinus (a separate conus branch ostium) -> the widest.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from twindesk.geometry.annulus import CUSPS, RootFrame

#: Heights above the annulus plane (mm) searched for ostia (disk centres).
SEARCH_FROM_MM = 3.0
#: Above the STJ (mm): high take-off ostia are still found.
ABOVE_STJ_MM = 8.0
#: Wall median window (deg, mm): wider than the largest ostium's spike.
WALL_MEDIAN_DEG = 50.0
WALL_MEDIAN_MM = 4.0
#: Shells: the first two voxels (at least 1.4 mm) outside the wall, beyond the edge blur,
#: then one voxel apart.
N_SHELLS = 4
MIN_DELTA_MM = 1.4
#: Equivalent diameter (mm) of a coronary disk on the innermost shell.
CALIBRE_MM = (1.5, 8.0)
STEP_H_MM = 0.25
STEP_DEG = 1.0


def _wall(lv, frame: RootFrame, top_mm: float):
    """The ostium-free wall radius (mm) about the axis as a function ``(height_mm,
    angle_deg) -> radius`` (arrays broadcast), or None without enough sections."""
    from scipy import ndimage as ndi
    from scipy.interpolate import RegularGridInterpolator

    from twindesk.geometry.root_locate import ANGLES_DEG, wall_radius_map

    hs = np.arange(0.0, top_mm + 0.01, 0.5)
    r = wall_radius_map(lv, frame, hs)
    ok = np.isfinite(r)
    if ok.sum() < 0.5 * r.size:
        return None
    # fill gaps (no closed section) from the nearest rows, then close the ostia
    rows = np.nonzero(ok.any(axis=1))[0]
    for i in range(len(hs)):
        if not ok[i].any():
            r[i] = r[rows[np.argmin(np.abs(rows - i))]]
    r = np.where(np.isfinite(r), r, np.nanmedian(r, axis=1, keepdims=True))
    step = ANGLES_DEG[1] - ANGLES_DEG[0]
    size = (max(1, int(round(WALL_MEDIAN_MM / 0.5))) | 1, int(round(WALL_MEDIAN_DEG / step)) | 1)
    pad = size[1] // 2
    wrapped = np.concatenate([r[:, -pad:], r, r[:, :pad]], axis=1)
    med = ndi.median_filter(wrapped, size=size, mode="nearest")[:, pad:-pad]
    f = RegularGridInterpolator((hs, np.concatenate([ANGLES_DEG, [360.0]])),
                                np.concatenate([med, med[:, :1]], axis=1), bounds_error=False,
                                fill_value=None)

    def wall_at(h, a):
        h, a = np.broadcast_arrays(np.asarray(h, float), np.asarray(a, float) % 360.0)
        return f(np.stack([np.clip(h, hs[0], hs[-1]), a], axis=-1))

    return wall_at


def _shell(lv, frame: RootFrame, wall_at, heights, angles_deg, delta_mm) -> np.ndarray:
    """CT values (HU) on the surface ``delta_mm`` outside the wall, ``(heights, angles)``."""
    from twindesk.imaging.grid import sample

    H, A = np.meshgrid(heights, angles_deg, indexing="ij")
    rho = wall_at(H, A) + delta_mm
    pts = frame.point(H, A, rho)
    return sample(lv.hu, lv.grid.lps_to_zyx(pts.reshape(-1, 3)).reshape(pts.shape),
                  order=1, cval=-1000.0)


def _label_wrapped(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """Connected components of a (height, angle) mask whose angle axis wraps around."""
    from scipy import ndimage as ndi

    lab, n = ndi.label(mask)
    first, last = lab[:, 0], lab[:, -1]
    for a, b in zip(first, last):
        if a and b and a != b:
            lab[lab == b] = a
    ids = np.unique(lab[lab > 0])
    out = np.zeros_like(lab)
    for k, i in enumerate(ids, 1):
        out[lab == i] = k
    return out, len(ids)


def _lower_edge(col: np.ndarray, heights: np.ndarray, row: int, level: float) -> float | None:
    """Height where ``col`` falls below ``level`` going down from ``row`` (sub-sample)."""
    j = row
    while j > 0 and col[j - 1] >= level:
        j -= 1
    if j == 0:
        return None
    a, b = col[j - 1], col[j]
    t = (level - a) / (b - a) if b != a else 0.5
    return float(heights[j - 1] + t * (heights[j] - heights[j - 1]))


def _edge_at_wall(deltas: np.ndarray, edges: np.ndarray) -> float:
    """Lower-edge height at the wall from its heights on the shells: extrapolated along a
    line when the branch measurably rises or falls (slope beyond twice its standard error
    and above 0.1), else the mean (no tilt: every shell sees the same edge)."""
    if len(edges) < 3:
        return float(np.mean(edges))
    slope, h0 = np.polyfit(deltas, edges, 1)
    res = edges - (h0 + slope * deltas)
    se = np.sqrt(np.sum(res ** 2) / (len(edges) - 2) / np.sum((deltas - deltas.mean()) ** 2))
    if abs(slope) < max(0.1, 2.0 * se):
        return float(np.mean(edges))
    slope = float(np.clip(slope, -1.0, 1.0))  # at most 45 deg from the wall normal
    return float(np.mean(edges) - slope * np.mean(deltas))


def detect_ostia(lv, frame: RootFrame, hinges: dict, stj_height_mm: float | None = None
                 ) -> dict[str, Any]:
    """Left and right coronary ostia found in the CT held by ``lv`` (a calibrated
    :class:`twindesk.geometry.lumen.LumenVolume`).

    Returns ``{"left": rec | None, "right": rec | None, "candidates": n}`` with ``rec`` =
    ``{"lower_edge_lps_mm", "height_mm", "center_lps_mm", "angle_deg", "diameter_mm",
    "source": "auto"}`` (heights above the annulus plane, mm).
    """
    top = (stj_height_mm if stj_height_mm else 22.0) + ABOVE_STJ_MM
    wall_at = _wall(lv, frame, top + 4.0)
    out: dict[str, Any] = {"left": None, "right": None, "candidates": 0}
    if wall_at is None:
        return out
    heights = np.arange(1.0, top + 0.01, STEP_H_MM)
    angles = np.arange(0.0, 360.0, STEP_DEG)
    step = max(lv.voxel_mm, 0.7)
    deltas = [max(MIN_DELTA_MM, 2.0 * lv.voxel_mm) + i * step for i in range(N_SHELLS)]
    shells = [_shell(lv, frame, wall_at, heights, angles, d) for d in deltas]
    lev = lv.levels
    bright = (shells[0] >= lev.iso_hu) & (shells[0] < lv.calcium_hu)
    lab, n = _label_wrapped(bright)
    hinge_ang = {k: float(frame.angle_deg(hinges[k])[0]) for k in CUSPS}
    found: dict[str, list] = {"left": [], "right": []}
    for k in range(1, n + 1):
        rec = _disk(k, lab, shells, heights, angles, deltas, frame, wall_at, lev)
        if rec is None:
            continue
        out["candidates"] += 1
        d = {c: abs((rec["angle_deg"] - a + 180.0) % 360.0 - 180.0) for c, a in hinge_ang.items()}
        side = min(d, key=d.get)
        if side in found:
            found[side].append(rec)
    for side, recs in found.items():
        if recs:
            out[side] = max(recs, key=lambda r: r["diameter_mm"])
    return out


def _disk(k, lab, shells, heights, angles, deltas, frame, wall_at, lev) -> dict | None:
    """One bright component of the innermost shell as a coronary ostium, or None."""
    sel = lab == k
    rows, cols = np.nonzero(sel)
    if rows.min() == 0 or rows.max() == len(heights) - 1:
        return None  # runs into the annulus level or above the search: not a branch disk
    # angles of the component unwrapped about its first column
    a = angles[cols]
    a0 = a[0]
    a_un = a0 + (a - a0 + 180.0) % 360.0 - 180.0
    ac = float(np.mean(a_un)) % 360.0
    hc = float(np.mean(heights[rows]))
    if hc < SEARCH_FROM_MM:
        return None
    r_wall = float(np.squeeze(wall_at(hc, ac)))
    px_area = STEP_H_MM * np.radians(STEP_DEG) * (r_wall + deltas[0])
    dia = 2.0 * np.sqrt(sel.sum() * px_area / np.pi)
    if not CALIBRE_MM[0] <= dia <= CALIBRE_MM[1]:
        return None
    jc = int(np.argmin(np.abs(heights - hc)))
    ic = int(round(ac / STEP_DEG)) % len(angles)
    cols_c = [(ic + o) % len(angles) for o in (-1, 0, 1)]
    edges, used = [], []
    for d, shell in zip(deltas, shells):
        col = shell[:, cols_c].mean(axis=1)
        win = slice(max(0, jc - 4), jc + 5)
        # the disk's plateau (robust to noise, unlike the maximum)
        inside = shell[sel]
        peak = float(np.percentile(inside, 75)) if inside.size >= 8 else float(np.max(col[win]))
        if float(np.max(col[win])) < lev.iso_hu:
            break  # the branch does not go on outward: not a tube leaving the wall
        ring = shell[max(0, jc - 40):jc + 41][shell[max(0, jc - 40):jc + 41] < lev.iso_hu]
        bg = float(np.median(ring)) if ring.size else lev.tissue_hu
        e = _lower_edge(col, heights, jc - 4 + int(np.argmax(col[win])), 0.5 * (peak + bg))
        if e is None:
            break
        edges.append(e)
        used.append(d)
    if len(edges) < 2:
        return None
    h0 = _edge_at_wall(np.asarray(used), np.asarray(edges))
    lower = frame.point(h0, ac, float(np.squeeze(wall_at(h0, ac))))
    center = frame.point(hc, ac, r_wall)
    return {"lower_edge_lps_mm": [float(x) for x in lower], "height_mm": float(h0),
            "center_lps_mm": [float(x) for x in center], "angle_deg": ac,
            "diameter_mm": float(dia), "edge_heights_by_shell_mm": [float(e) for e in edges],
            "shells_mm": [float(d) for d in used], "source": "auto"}
