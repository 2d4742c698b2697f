"""Automatic aortic-root landmarks: root axis, cusp directions and hinge points.

1. A seed in the ascending aorta (the anatomy room's round-disk seeds, or a given point).
2. Cross-section tracking down the ascending aorta (section centroids, 2 mm steps) until
   the section opens into the ventricle. Along the track the lumen narrows at the STJ,
   widens into the sinuses and narrows again at the ventriculo-aortic junction.
3. Cusp directions: the three lobes of the sinus sections (maxima of the wall radius about
   the root axis, seeded by the third Fourier harmonic); labelled right/left/non by their
   position (:func:`twindesk.geometry.annulus.cusp_labels_from_angles`).
4. Hinge point (nadir) of each cusp: along the cusp's direction the wall runs straight up
   the LVOT and turns outward where the sinus bulge begins at the leaflet's basal
   attachment; the hinge is that knee, found by a two-segment least-absolute-deviation fit
   of the wall radius versus height. The plane through the three hinges is refined once in
   its own frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twindesk.errors import InputError
from twindesk.geometry.annulus import CUSPS, RootFrame, cusp_labels_from_angles, hinge_plane, unit
from twindesk.geometry.lumen import LumenVolume

TRACK_STEP_MM = 2.0
ANGLES_DEG = np.arange(0.0, 360.0, 2.0)


@dataclass
class RootGuess:
    frame: RootFrame          # at the narrowest section below the sinuses
    sinus_height_mm: float    # of the widest section, above the frame
    stj_height_mm: float      # of the narrowest section above the sinuses
    radius_mm: float          # area-equivalent radius at the frame


def ascending_seed(image) -> np.ndarray:
    """A point in the ascending aorta (round bright disks stacked along z)."""
    from twindesk.imaging.blood import working_volume
    from twindesk.imaging.seeds import find_aorta_seeds

    w = working_volume(image)
    seeds = find_aorta_seeds(w.hu, w.grid)
    if seeds is None or seeds.ascending_lps_mm is None:
        raise InputError("could not find the ascending aorta automatically",
                         "give the three hinge points with --hinges-lps")
    return np.asarray(seeds.ascending_lps_mm, float)


def track_down(lv: LumenVolume, seed_lps_mm, cancel=None) -> list:
    """Sections from the seed down the ascending aorta into the ventricle."""
    p = np.asarray(seed_lps_mm, float)
    t = np.array([0.0, 0.0, -1.0])
    lv.calibrate(p, t, 12.0)
    out = []
    for _ in range(int(140 / TRACK_STEP_MM)):
        if cancel is not None:
            cancel.check()
        sec = lv.section(p, t, 35.0, 0.5, max_radius_mm=33.0)
        if sec is None:
            break
        d = sec.metrics.area_derived_diameter_mm
        # Into the ventricle: much wider than the narrowest section of the last 16 mm.
        if len(out) >= 5 and d > 1.4 * min(s.metrics.area_derived_diameter_mm
                                           for s in out[-8:]):
            break
        out.append(sec)
        c = sec.centroid_lps_mm
        if len(out) >= 3:
            t = unit(0.5 * t + 0.5 * unit(c - out[-3].centroid_lps_mm))
        p = c + TRACK_STEP_MM * t
    if len(out) < 8:
        raise InputError("the ascending aorta could not be followed down to the valve",
                         "give the three hinge points with --hinges-lps")
    return out


def guess_root(sections: list) -> RootGuess:
    """Annulus-level frame, sinus and STJ heights from a downward track."""
    d = np.array([s.metrics.area_derived_diameter_mm for s in sections])
    end = len(d) - 1
    n_win = int(45.0 / TRACK_STEP_MM)
    lo = max(0, end - n_win)
    k_sin = lo + int(np.argmax(d[lo:end]))
    k_ann = k_sin + int(np.argmin(d[k_sin:end + 1]))
    k_stj = max(0, k_sin - int(30.0 / TRACK_STEP_MM))
    k_stj = k_stj + int(np.argmin(d[k_stj:k_sin + 1]))
    c_ann = sections[k_ann].centroid_lps_mm
    c_stj = sections[k_stj].centroid_lps_mm
    if k_ann <= k_sin or k_stj >= k_sin or np.linalg.norm(c_stj - c_ann) < 8.0:
        raise InputError("no sinus of Valsalva found along the ascending aorta",
                         "give the three hinge points with --hinges-lps")
    n = unit(c_stj - c_ann)
    frame = RootFrame(c_ann, n)
    return RootGuess(frame, float(frame.height(sections[k_sin].centroid_lps_mm)[0]),
                     float(frame.height(c_stj)[0]), float(d[k_ann] / 2))


def wall_radius_map(lv: LumenVolume, frame: RootFrame, heights_mm: np.ndarray,
                    half_size_mm: float = 30.0, step_mm: float = 0.4) -> np.ndarray:
    """Outer lumen radius (mm) about the axis for each height (rows) and angle
    (:data:`ANGLES_DEG`, columns); NaN where a section is missing."""
    out = np.full((len(heights_mm), len(ANGLES_DEG)), np.nan)
    th = np.radians(ANGLES_DEG)
    for i, h in enumerate(heights_mm):
        f = frame.shifted(float(h))
        sec = lv.section(f.center_lps_mm, f.normal_lps, half_size_mm, step_mm,
                         up_hint=frame.anterior, max_radius_mm=half_size_mm - 2.0)
        if sec is not None:
            # u = anterior, v = n x anterior = left: in-plane angles match the root frame
            out[i] = sec.radius_at(th)
    return out


def cusp_angles(rmap: np.ndarray) -> tuple[dict, dict]:
    """Cusp-centre and commissure angles (deg) from the sinus rows of a radius map."""
    from scipy import ndimage as ndi

    prof = np.nanmedian(rmap, axis=0)
    prof = np.where(np.isfinite(prof), prof, np.nanmedian(prof))
    # Coronary ostia are narrow spikes: a 16 deg circular median removes them.
    prof = ndi.median_filter(prof, size=9, mode="wrap")
    th = np.radians(ANGLES_DEG)
    c3 = np.sum(prof * np.exp(-3j * th))
    phase = np.degrees(np.angle(c3)) / 3.0
    step = ANGLES_DEG[1] - ANGLES_DEG[0]
    smooth = np.convolve(np.pad(prof, 5, mode="wrap"), np.ones(11) / 11, "valid")
    lobes = []
    n_a = len(th)
    floor = float(np.percentile(smooth, 20))
    for k in range(3):
        a0 = (phase + 120.0 * k) % 360.0
        idx = [int(round(((a0 + o) % 360.0) / step)) % n_a for o in np.arange(-40, 41, step)]
        j = idx[int(np.argmax(smooth[idx]))]
        half = 0.5 * (smooth[j] + floor)
        lo = hi = 0
        while lo < n_a // 3 and smooth[(j - lo - 1) % n_a] > half:
            lo += 1
        while hi < n_a // 3 and smooth[(j + hi + 1) % n_a] > half:
            hi += 1
        lobes.append(float((ANGLES_DEG[j] + step * (hi - lo) / 2.0) % 360.0))
    names = cusp_labels_from_angles(lobes)
    cusp = {names[i]: float(lobes[i]) for i in range(3)}
    comm = {}
    for a, b in (("right", "left"), ("left", "non"), ("non", "right")):
        lo_a, span = cusp[a], (cusp[b] - cusp[a]) % 360.0
        angs = (lo_a + np.arange(0.0, span + step, step)) % 360.0
        idx = np.round(angs / step).astype(int) % len(th)
        comm[f"{a}_{b}"] = float(angs[int(np.argmin(smooth[idx]))])
    return cusp, comm


def knee_height(h: np.ndarray, r: np.ndarray) -> float | None:
    """Height where the sinus wall leaves the LVOT wall line along one direction.

    From the sinus peak downward the wall radius falls toward the LVOT level; dark
    structures at the cusp base (leaflet hinge, calcium) only make dips below that level,
    so the descent is followed until it reaches the LVOT level (``base`` + 0.7 mm) or
    breaks off; a quadratic through the descent is then solved for ``r = base``, with
    ``base`` the median wall radius 2-6 mm below the descent.
    """
    ok = np.isfinite(r)
    h, r = h[ok], r[ok]
    if len(h) < 8:
        return None
    upper = len(h) * 2 // 5  # the sinus peak, not the ventricle opening at the bottom
    k = upper + int(np.argmax(r[upper:]))
    j = k
    while j > 0 and r[j - 1] <= r[j] + 0.3 and r[j - 1] > r[k] - 8.0:
        j -= 1
    lower = (h >= h[j] - 6.0) & (h <= h[j] - 2.0)
    if lower.sum() < 3:
        return None
    base = float(np.median(r[lower]))
    base = float(np.median(r[lower][r[lower] >= base - 1.5]))
    sel = (np.arange(len(h)) >= j) & (np.arange(len(h)) <= k) & (r >= base + 0.7) & \
        (r <= base + 5.0)
    if sel.sum() < 3:
        return None
    c2, c1, c0 = np.polyfit(h[sel], r[sel] - base, 2)
    roots = np.roots([c2, c1, c0]) if abs(c2) > 1e-9 else np.array([-c0 / c1])
    roots = roots[np.isreal(roots)].real
    lo = float(h[sel].min())
    roots = roots[(roots <= lo + 0.5) & (roots >= lo - 6.0)]
    return float(roots.max()) if roots.size else None


def _lad(basis: np.ndarray, y: np.ndarray, rounds: int = 8) -> np.ndarray:
    """Least absolute deviations by iteratively reweighted least squares."""
    w = np.ones_like(y)
    coef = np.zeros(basis.shape[1])
    for _ in range(rounds):
        coef, *_ = np.linalg.lstsq(basis * w[:, None], y * w, rcond=None)
        w = 1.0 / np.sqrt(np.maximum(np.abs(y - basis @ coef), 0.05))
    return coef


def find_hinges(lv: LumenVolume, guess: RootGuess, cancel=None) -> tuple[dict, dict]:
    """Hinge points (LPS) of the three cusps and what was found on the way."""
    frame = guess.frame
    info: dict = {}
    for _ in range(2):
        if cancel is not None:
            cancel.check()
        hs = max(guess.sinus_height_mm, 4.0)
        rows = np.arange(0.2 * guess.stj_height_mm, 0.55 * guess.stj_height_mm, 1.0)
        cusp, comm = cusp_angles(wall_radius_map(lv, frame, rows))
        heights = np.arange(-10.0, hs + 0.01, 0.5)
        rmap = wall_radius_map(lv, frame, heights)
        hinges, blocked = {}, []
        for k in CUSPS:
            j = int(round(cusp[k] / (ANGLES_DEG[1] - ANGLES_DEG[0]))) % len(ANGLES_DEG)
            cols = [(j + o) % len(ANGLES_DEG) for o in (-1, 0, 1)]
            r = np.nanmean(rmap[:, cols], axis=1)
            top = heights <= hs - 1.0
            h0 = knee_height(heights[top], r[top])
            if h0 is None:
                blocked.append((k, r))
                continue
            r0 = float(np.interp(h0, heights[np.isfinite(r)], r[np.isfinite(r)]))
            hinges[k] = frame.point(h0, cusp[k], r0)
        if len(blocked) > 1:
            raise InputError("hinge points could not be found automatically ("
                             f"{', '.join(b[0] for b in blocked)} cusps)",
                             "give the three hinge points with --hinges-lps")
        for k, r in blocked:
            # Its sinus wall is hidden (calcium at the nadir): the hinge is put at the mean
            # height of the other two, on the LVOT wall below.
            h0 = float(np.mean([frame.height(p)[0] for p in hinges.values()]))
            lower = np.isfinite(r) & (heights < h0 - 1.0)
            r0 = float(np.median(r[lower])) if lower.any() else guess.radius_mm
            hinges[k] = frame.point(h0, cusp[k], r0)
            info.setdefault("interpolated_hinges", []).append(k)
        new = hinge_plane(hinges, frame.normal_lps)
        shift = float(frame.height(new.center_lps_mm)[0])
        guess = RootGuess(new, guess.sinus_height_mm - shift, guess.stj_height_mm - shift,
                          guess.radius_mm)
        info = {"cusp_angles_deg": cusp, "commissure_angles_deg": comm,
                "interpolated_hinges": [b[0] for b in blocked]}
        frame = new
    return {k: [float(x) for x in v] for k, v in hinges.items()}, info
