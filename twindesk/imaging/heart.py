"""Left ventricle, left atrium and the left-heart blood pool.

The bright blood around the heart is cut into cavities by the distance-map watershed of
:mod:`twindesk.imaging.chambers` (the aorta, already segmented, is taken out first):

* ``lv``: the cavity just below the aorta's LVOT-root cut (the left-ventricular blood pool
  up to that cut, including the outflow tract). Enclosed papillary muscles are filled in.
* ``la``: the cavity the mitral orifice joins to the LV, posterior to the aortic root. Its
  body is the cavity's wide part; narrow offshoots that run on for more than
  ``PV_TREE_MM`` (pulmonary veins, which branch into the lungs) are trimmed to stubs of
  ``pv_stub_mm``; shorter blind offshoots (the appendage) are kept whole.
* ``bloodpool``: aorta + LV + LA, all contrast-filled left-heart blood.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twindesk.errors import InputError
from twindesk.imaging import blood, chambers, tubemask
from twindesk.imaging.grid import Grid, image_like, resample_mask
from twindesk.imaging.refine import to_native
from twindesk.jobs import CancelToken, ProgressReporter

ROI_HALF_MM = 90.0  # the heart fits in a 180 mm box around the aortic root
MERGE_RATIO = 0.75  # lobes of one cavity: saddle >= 0.75 x the smaller peak
PV_TREE_MM = 50.0  # offshoots running further than this from the LA body are vein trees
PV_STUB_MM = 10.0


@dataclass
class ChamberSeg:
    mask: np.ndarray  # on the image grid
    seed_lps_mm: tuple[float, float, float]
    seed_source: str


@dataclass
class Cavities:
    """The heart ROI cut into cavities (working grid, ROI coordinates)."""

    sl: tuple[slice, ...]
    blood: np.ndarray
    dist: np.ndarray
    basins: chambers.Basins
    lut: np.ndarray
    region: np.ndarray

    def at(self, g: Grid, point_lps_mm) -> int:
        idx = np.round(g.lps_to_zyx(point_lps_mm)[0]).astype(int) - self.origin
        if np.any(idx < 0) or np.any(idx >= self.region.shape):
            return 0
        return int(self.region[tuple(idx)])

    @property
    def origin(self) -> np.ndarray:
        return np.array([s.start for s in self.sl])


def segment_chambers(image, model, structure: str, seed_lps_mm=None, progress=None,
                     cancel: CancelToken | None = None, aorta_mask: np.ndarray | None = None
                     ) -> ChamberSeg:
    """Segment ``lv``, ``la`` or ``bloodpool`` given the aorta model of the same image."""
    rep = ProgressReporter(progress, cancel=cancel)
    w, g = model.working, model.working.grid
    if model.cut is None:
        raise InputError("the aortic root was not found, so the ventricle cannot be located",
                         "check that the scan covers the heart, or segment the aorta with "
                         "--seed-lps in the ascending aorta")
    aorta_w = model.lumen | model.stubs
    if aorta_mask is not None:  # the case's (possibly edited) aorta
        aorta_w = resample_mask(image_like(aorta_mask.astype(np.uint8), image), w.image)
    rep(0.0, "cutting the blood into cavities")
    cav = cavities(w, model, aorta_w)
    rep(0.5, "naming the cavities")
    lv_id, lv_src = _lv_region(cav, g, model, structure, seed_lps_mm)
    lv = cav.region == lv_id
    out_w = np.zeros(w.hu.shape, dtype=bool)
    if structure == "lv":
        seed, source = _peak_point(cav, g, lv), lv_src
        anchors = [seed]
        out_w[cav.sl] = _fill(lv)
    else:
        la_id, la_src = _la_region(cav, g, model, lv_id, structure, seed_lps_mm)
        la = trim_veins(cav, cav.region == la_id, g)
        seed, source = _peak_point(cav, g, cav.region == la_id), la_src
        anchors = [seed]
        if structure == "la":
            out_w[cav.sl] = _fill(la)
        else:
            out_w[cav.sl] = _fill(lv | la)
            out_w |= aorta_w | _cut_slab(w, model)
            # a closed mitral valve separates the atrium: every part needs its anchor
            anchors = [model.seed_lps_mm, _peak_point(cav, g, lv), seed]
            seed, source = tuple(float(v) for v in model.seed_lps_mm), \
                f"aorta: {model.seed_source}; LV: {lv_src}; LA: {la_src}"
    rep(0.8, "writing the mask on the image grid")
    mask = to_native(w, out_w, image, model.levels, np.array(anchors))
    if aorta_mask is not None and structure != "bloodpool":
        mask &= ~aorta_mask
    mask = tubemask.component_touching(mask, Grid.of(image).lps_to_zyx(np.array(anchors)))
    rep(1.0, "done")
    return ChamberSeg(mask, seed, source)


def cavities(w: blood.Working, model, aorta_w: np.ndarray) -> Cavities:
    """Bright blood in a box around the aortic root, minus the aorta and everything on the
    aortic side of the root cut, cut into merged watershed cavities."""
    g = w.grid
    c = g.lps_to_zyx(model.cut.center_lps_mm)[0]
    r = np.ceil(ROI_HALF_MM / g.spacing_zyx).astype(int)
    sl = tuple(slice(max(0, int(ci - ri)), min(n, int(ci + ri) + 1))
               for ci, ri, n in zip(c, r, w.hu.shape))
    above = ~tubemask.half_space(g, model.cut.center_lps_mm, -model.cut.normal_lps,
                                 2.0 * model.cut.radius_mm)  # the aortic side, near the cut
    bl = (w.hu[sl] >= model.levels.core_hu) & ~aorta_w[sl] & above[sl]
    dist = blood.distance_inside(bl, g.spacing_zyx)
    b = chambers.basins(bl, dist, 1.5)
    lut = chambers.merge_basins(b, MERGE_RATIO)
    region = lut[b.labels]
    region[b.labels == 0] = 0
    return Cavities(sl, bl, dist, b, lut, region)


def _region_saddles(cav: Cavities) -> dict[tuple[int, int], float]:
    out: dict[tuple[int, int], float] = {}
    for (i, j), s in cav.basins.saddles.items():
        a, b = int(cav.lut[i]), int(cav.lut[j])
        if a != b:
            k = (min(a, b), max(a, b))
            out[k] = max(out.get(k, 0.0), s)
    return out


def _lv_region(cav: Cavities, g: Grid, model, structure: str, seed) -> tuple[int, str]:
    """The cavity holding the user's LV seed, or the one filling the space just below the
    root cut (the outflow tract)."""
    if seed is not None and structure == "lv":
        rid = cav.at(g, seed)
        if rid == 0:
            raise InputError(f"--seed-lps {list(seed)} is not in bright blood",
                             "put the seed inside the left ventricle's cavity")
        return rid, "user (--seed-lps)"
    cut = model.cut
    disk = tubemask.half_space(g, cut.center_lps_mm, cut.normal_lps, cut.radius_mm)[cav.sl]
    # keep a slab 1.5-8 mm below the plane
    below = disk & ~tubemask.half_space(g, cut.center_lps_mm - 8.0 * cut.normal_lps,
                                        cut.normal_lps, cut.radius_mm)[cav.sl]
    ids = cav.region[below & (cav.region > 0)]
    if ids.size == 0:
        raise InputError("no blood below the aortic root: the left ventricle was not found",
                         "give a point in the left ventricle with --seed-lps")
    return int(np.bincount(ids).argmax()), "auto: the cavity below the LVOT-root junction"


def _la_region(cav: Cavities, g: Grid, model, lv_id: int, structure: str, seed
               ) -> tuple[int, str]:
    """The user's LA seed cavity, or the left atrium found automatically: a cavity behind the
    aortic root (the LA is the most posterior chamber, in front of the spine) as bright as
    the aortic blood (in an arterial-phase CT the right heart is dimmer), preferring one
    the mitral orifice joins to the LV (an open valve), else the widest within reach."""
    from scipy import ndimage as ndi

    if seed is not None and structure == "la":
        rid = cav.at(g, seed)
        if rid == 0:
            raise InputError(f"--seed-lps {list(seed)} is not in bright blood",
                             "put the seed inside the left atrium")
        return rid, "user (--seed-lps)"
    root = np.asarray(model.cut.center_lps_mm, float)
    hu = model.working.hu[cav.sl]
    ids = np.unique(cav.region[cav.region > 0])
    ids = ids[ids != lv_id]
    med = np.asarray(ndi.median(hu, cav.region, ids))
    cen = np.asarray(ndi.center_of_mass(cav.region > 0, cav.region, ids)).reshape(-1, 3)
    cen_lps = g.zyx_to_lps(cen + cav.origin)
    adjacent = {b if a == lv_id else a for (a, b), sd in _region_saddles(cav).items()
                if lv_id in (a, b) and sd > 0}
    best, best_key = 0, None
    for rid, m, c in zip(ids, med, cen_lps):
        peak = chambers.region_peak(cav.basins, cav.lut, int(rid))
        if (c[1] < root[1] + 10.0 or abs(m - model.levels.blood_hu) > 0.2 * model.levels.blood_hu
                or peak < 8.0 or np.linalg.norm(c - root) > ROI_HALF_MM):
            continue
        key = (int(rid) in adjacent, peak)
        if best_key is None or key > best_key:
            best, best_key = int(rid), key
    if best == 0:
        raise InputError("the left atrium was not found behind the aortic root",
                         "give a point in the left atrium with --seed-lps")
    how = "joined to the LV" if best_key[0] else "next to the LV (closed mitral valve)"
    return best, f"auto: the widest bright cavity behind the aortic root, {how}"


def trim_veins(cav: Cavities, la: np.ndarray, g: Grid, stub_mm: float = PV_STUB_MM) -> np.ndarray:
    """Keep the atrium's body and blind offshoots whole; trim vein trees to stubs.

    The body is what an opening with a ball of 0.6 x the atrium's largest inscribed radius
    keeps (wider than any pulmonary vein); every other piece is an offshoot. Offshoots that
    run on for more than ``PV_TREE_MM`` from the body, or leave the heart box, are vein trees
    and keep ``stub_mm``; shorter ones (the appendage) stay whole.
    """
    from scipy import ndimage as ndi

    from twindesk.imaging.blood import distance_inside

    if not la.any():
        return la
    d_in = distance_inside(la, g.spacing_zyx)
    r_b = 0.6 * float(d_in.max())
    core = d_in > r_b
    body = la & (distance_inside(~core, g.spacing_zyx) <= r_b + 0.5 * g.spacing_zyx.min())
    body = tubemask.component_touching(body, np.argwhere(d_in == d_in.max())[:1])
    rest = la & ~body
    lab, n = ndi.label(rest)
    if n == 0:
        return la
    step = float(g.spacing_zyx.min())
    dist = _geodesic_steps(body, la, int(PV_TREE_MM / step) + 2) * step
    out = body.copy()
    on_border = np.zeros_like(la)
    for ax in range(3):
        idx = [slice(None)] * 3
        for end in (0, -1):
            idx[ax] = end
            on_border[tuple(idx)] = True
    for i in range(1, n + 1):
        comp = lab == i
        reach = dist[comp]
        tree = (not np.isfinite(reach).all()) or reach.max() > PV_TREE_MM or \
            bool((comp & on_border).any())
        out |= (comp & (dist <= stub_mm)) if tree else comp
    return tubemask.component_touching(out, np.argwhere(body)[:1])


def _geodesic_steps(seed: np.ndarray, allowed: np.ndarray, max_steps: int) -> np.ndarray:
    """Number of 26-connected steps from ``seed`` through ``allowed`` (inf beyond)."""
    from scipy import ndimage as ndi

    out = np.full(seed.shape, np.inf, dtype=np.float32)
    out[seed] = 0
    front = seed.copy()
    reached = seed.copy()
    st = np.ones((3, 3, 3), bool)
    for k in range(1, max_steps + 1):
        grown = ndi.binary_dilation(front, structure=st) & allowed & ~reached
        if not grown.any():
            break
        out[grown] = k
        reached |= grown
        front = grown
    return out


def _cut_slab(w: blood.Working, model) -> np.ndarray:
    """Bright blood within 3 mm of the root cut (joins the aorta to the LV in the pool)."""
    cut, g = model.cut, w.grid
    slab = tubemask.half_space(g, cut.center_lps_mm + 3.0 * cut.normal_lps, cut.normal_lps,
                               1.2 * cut.radius_mm)
    slab &= ~tubemask.half_space(g, cut.center_lps_mm - 3.0 * cut.normal_lps, cut.normal_lps,
                                 1.2 * cut.radius_mm)
    return slab & (w.hu >= model.levels.core_hu)


def _fill(mask: np.ndarray) -> np.ndarray:
    from scipy import ndimage as ndi

    return ndi.binary_fill_holes(mask)


def _peak_point(cav: Cavities, g: Grid, mask: np.ndarray) -> tuple[float, float, float]:
    """The centre of the largest inscribed sphere of a cavity (LPS mm)."""
    d = np.where(mask, cav.dist, -1.0)
    idx = np.unravel_index(int(np.argmax(d)), d.shape)
    return tuple(float(v) for v in g.zyx_to_lps(np.asarray(idx) + cav.origin)[0])
