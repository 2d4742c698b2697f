"""Lumen cross-sections of a contrast CT at a contrast-aware iso-level (sub-voxel).

A :class:`LumenVolume` holds a smoothed crop of the CT around a region of interest and the
lumen levels measured there: the blood-pool median, the surrounding soft-tissue median and
the iso-level half-way between them (the half-maximum edge criterion: a blurred step edge
crosses the middle of its two plateaus where the true edge is).

:meth:`LumenVolume.section` reslices an oblique plane (trilinear), and finds the lumen
region containing the plane's centre. Thin dark structures inside the lumen (open or closed
valve leaflets, ~1 mm) are bridged by a small closing (:data:`BRIDGE_MM`) so that the
sinuses behind the leaflets belong to the lumen, while walls to neighbouring chambers
(>= 2 mm) are not bridged. The contour is then traced by marching squares on the resliced
image at the iso-level, with the bridged interior raised to the blood level, so the outer
boundary keeps the image's sub-voxel edge position.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twindesk.errors import InputError
from twindesk.geometry import contours as ct
from twindesk.imaging.grid import Grid, array
from twindesk.imaging.reslice import PlaneSample, sample_plane

#: Gaps in the lumen narrower than about twice this (mm) are bridged (valve leaflets).
BRIDGE_MM = 0.9
#: Gaussian smoothing of the crop (mm): noise only, well below the edge blur of a CT.
SMOOTH_MM = 0.5
#: Soft tissue is sampled in this ring outside the lumen contour (mm).
TISSUE_RING_MM = (1.0, 3.0)
TISSUE_HU_GUESS = 40.0
MIN_CONTRAST_HU = 180.0
#: Calcium is brighter than the blood pool by more than this (HU): the "lumen attenuation
#: + 100 HU" rule (see :mod:`twindesk.geometry.calcium`).
CALCIUM_MARGIN_HU = 100.0
#: The bright-blood core lies this fraction of the way from tissue to blood.
CORE_FRACTION = 0.75


@dataclass(frozen=True)
class LumenLevels:
    """Blood pool and surrounding tissue levels (HU) and the contour iso-level between."""

    blood_hu: float
    blood_sd_hu: float
    tissue_hu: float

    @property
    def iso_hu(self) -> float:
        return 0.5 * (self.blood_hu + self.tissue_hu)

    def as_dict(self) -> dict:
        return {"blood_hu": round(self.blood_hu, 1), "blood_sd_hu": round(self.blood_sd_hu, 1),
                "tissue_hu": round(self.tissue_hu, 1), "iso_hu": round(self.iso_hu, 1),
                "rule": "half maximum between the blood-pool median and the median of soft "
                        "tissue 1.5-4 mm outside the lumen"}


@dataclass
class Section:
    """A lumen contour in an oblique plane."""

    frame: PlaneSample          # the resliced plane (values, centre, u, v, normal)
    contour_ab_mm: np.ndarray   # (N, 2) in-plane coordinates along u, v
    metrics: ct.ContourMetrics
    raw_ab_mm: np.ndarray | None = None  # the marching-squares contour before smoothing
    calcium: np.ndarray | None = None    # pixels [j, i] taken as calcium (with a margin)

    @property
    def contour_lps_mm(self) -> np.ndarray:
        f = self.frame
        return (f.center_lps_mm + self.contour_ab_mm[:, :1] * f.u
                + self.contour_ab_mm[:, 1:] * f.v)

    @property
    def centroid_lps_mm(self) -> np.ndarray:
        a, b = self.metrics.centroid_ab_mm
        return self.frame.center_lps_mm + a * self.frame.u + b * self.frame.v

    def ab_to_lps(self, ab) -> np.ndarray:
        ab = np.atleast_2d(ab)
        return self.frame.center_lps_mm + ab[:, :1] * self.frame.u + ab[:, 1:] * self.frame.v

    def radius_at(self, angles_rad, origin_ab=(0.0, 0.0)) -> np.ndarray:
        """Outermost contour distance from ``origin_ab`` along in-plane angles (from ``u``
        toward ``v``)."""
        return ct.ray_radius(self.contour_ab_mm, origin_ab, np.asarray(angles_rad, float))


class LumenVolume:
    """A smoothed crop of a CT (HU) around ``center_lps_mm`` (a cube of half-size
    ``half_size_mm``) for lumen sections; ``levels`` are measured with :meth:`calibrate`."""

    def __init__(self, image, center_lps_mm, half_size_mm: float = 60.0,
                 smooth_mm: float = SMOOTH_MM):
        #: Above this (HU) a voxel is calcium, not lumen (set by :meth:`calibrate`).
        self.calcium_hu = float("inf")
        import SimpleITK as sitk

        g = Grid.of(image)
        c = g.lps_to_zyx(np.asarray(center_lps_mm, float))[0][::-1]  # x, y, z
        r = half_size_mm / np.asarray(g.spacing_mm)
        lo = np.maximum(np.floor(c - r), 0).astype(int)
        hi = np.minimum(np.ceil(c + r) + 1, np.asarray(g.size)).astype(int)
        if np.any(hi - lo < 3):
            raise InputError(f"the point {np.round(center_lps_mm, 1).tolist()} lies outside "
                             "the image", "check the landmark coordinates (LPS mm)")
        crop = sitk.RegionOfInterest(image, (hi - lo).tolist(), lo.tolist())
        crop = sitk.Cast(crop, sitk.sitkFloat32)
        if smooth_mm > 0:
            crop = sitk.SmoothingRecursiveGaussian(crop, float(smooth_mm))
        self.image = crop
        self.grid = Grid.of(crop)
        self.hu = array(crop)
        self.voxel_mm = float(np.max(g.spacing_mm))
        self.levels: LumenLevels | None = None

    # ----------------------------------------------------------------- levels
    def calibrate(self, center_lps_mm, normal_lps, radius_hint_mm: float = 10.0) -> LumenLevels:
        """Measure blood and tissue levels on the section through ``center_lps_mm``."""
        frame = self.plane(center_lps_mm, normal_lps, 2.5 * radius_hint_mm + 8.0, 0.5)
        v = frame.values
        n = v.shape[0]
        yy, xx = np.mgrid[:n, :n]
        rr = np.hypot(yy - (n - 1) / 2, xx - (n - 1) / 2) * frame.step_mm
        core = v[rr <= 0.4 * radius_hint_mm]
        blood = float(np.median(core))
        if blood < MIN_CONTRAST_HU:
            raise InputError(f"the lumen at {np.round(center_lps_mm, 1).tolist()} holds "
                             f"{blood:.0f} HU, not contrast-filled blood",
                             "check that this is a contrast CT and that the landmarks lie in "
                             "the aortic root")
        sd = float(1.4826 * np.median(np.abs(core - blood)))
        self.levels = LumenLevels(blood, sd, TISSUE_HU_GUESS)
        self.calcium_hu = blood + CALCIUM_MARGIN_HU
        sec = self.section(center_lps_mm, normal_lps, 2.5 * radius_hint_mm + 8.0, 0.5)
        if sec is not None:
            tissue = self._ring_level(sec)
            self.levels = LumenLevels(blood, sd, tissue)
        return self.levels

    def _ring_level(self, sec: Section) -> float:
        v = sec.frame.values
        n = v.shape[0]
        step = sec.frame.step_mm
        jj, ii = np.mgrid[:n, :n]
        ab = np.stack([(ii - (n - 1) / 2) * step, (jj - (n - 1) / 2) * step], -1).reshape(-1, 2)
        c = np.asarray(sec.metrics.centroid_ab_mm)
        ang = np.arctan2(ab[:, 1] - c[1], ab[:, 0] - c[0])
        dist = np.hypot(ab[:, 0] - c[0], ab[:, 1] - c[1])
        r_wall = sec.radius_at(ang, c)
        lo, hi = TISSUE_RING_MM
        ring = (dist > r_wall + lo) & (dist < r_wall + hi)
        vals = v.reshape(-1)[ring]
        vals = vals[(vals > -30.0) & (vals < 250.0)]
        if vals.size < 30:
            return TISSUE_HU_GUESS
        return float(np.clip(np.median(vals), 0.0, 150.0))

    # ----------------------------------------------------------------- sections
    def plane(self, center_lps_mm, normal_lps, half_size_mm: float, step_mm: float,
              up_hint=None) -> PlaneSample:
        return sample_plane(self.hu, self.grid, center_lps_mm, normal_lps, half_size_mm,
                            step_mm, order=1, cval=-1000.0, up_hint=up_hint)

    def section(self, center_lps_mm, normal_lps, half_size_mm: float = 30.0,
                step_mm: float = 0.25, up_hint=None, level_hu: float | None = None,
                bridge_mm: float = BRIDGE_MM, max_radius_mm: float | None = None
                ) -> Section | None:
        """The lumen contour containing the plane's centre, or None (centre not in lumen, or
        the lumen reaches the edge of the ``half_size_mm`` window: not a closed section)."""
        from scipy import ndimage as ndi

        if self.levels is None:
            raise InputError("lumen levels are not measured yet", "call calibrate() first")
        iso = self.levels.iso_hu if level_hu is None else float(level_hu)
        frame = self.plane(center_lps_mm, normal_lps, half_size_mm, step_mm, up_hint)
        v = frame.values
        # Calcium is not lumen: the contour goes around it and the smooth fit bridges it.
        n = v.shape[0]
        calc = v > self.calcium_hu
        near_calc = None
        if calc.any():  # with its blur halo (about a voxel)
            halo = max(1, int(round(self.voxel_mm / step_mm)))
            calc = ndi.binary_dilation(calc, structure=_disk(halo))
            v = np.where(calc, self.levels.tissue_hu, v)
            near_calc = ndi.binary_dilation(calc, structure=_disk(halo))
        mid = (n - 1) // 2
        rb = max(1, int(round(bridge_mm / step_mm)))
        disk = _disk(rb)
        # Bright-blood core (3/4 of the way from tissue to blood): a neighbour of lower
        # enhancement touching the lumen (right heart, pulmonary artery) stays out; the
        # contour may then reach one blur width (about a voxel) beyond the core.
        lev = self.levels
        core_level = lev.tissue_hu + CORE_FRACTION * (lev.blood_hu - lev.tissue_hu)
        core = _component(v >= core_level, disk, rb, mid, step_mm)
        if core is None:
            return None
        reach = max(1, int(round(max(1.0, self.voxel_mm) / step_mm)))
        allowed = ndi.binary_dilation(core, structure=_disk(reach))
        if max_radius_mm is not None:  # a branch (coronary) is cut here, not followed out
            jj, ii = np.mgrid[:n, :n]
            allowed &= np.hypot(jj - mid, ii - mid) * step_mm <= max_radius_mm
        comp = _component((v >= iso) & allowed, disk, rb, mid, step_mm)
        if comp is None:
            return None
        if comp[0, :].any() or comp[-1, :].any() or comp[:, 0].any() or comp[:, -1].any():
            return None
        core = ndi.binary_erosion(comp, structure=_disk(max(1, int(round(1.0 / step_mm)))))
        near = ndi.binary_dilation(comp, structure=_disk(max(1, int(round(1.0 / step_mm)))))
        field = np.where(core, np.maximum(v, self.levels.blood_hu), v)
        field = np.where(near & allowed, field, np.minimum(field, self.levels.tissue_hu))
        centre = np.argwhere(comp)
        c_ji = centre[np.argmin(np.hypot(*(centre - mid).T))]
        best = None
        for line in ct.marching_squares(field, iso):
            if ct.contains(line, c_ji):
                area = abs(ct.polygon_area(line))
                if best is None or area > best[0]:
                    best = (area, line)
        if best is None:
            return None
        ji = best[1]
        ab = np.stack([(ji[:, 1] - (n - 1) / 2) * step_mm, (ji[:, 0] - (n - 1) / 2) * step_mm],
                      axis=1)
        return Section(frame, ab, ct.metrics(ab), calcium=near_calc)

    def smooth_section(self, center_lps_mm, normal_lps, harmonics: int = 6, **kw
                       ) -> Section | None:
        """:meth:`section` with the contour replaced by its robust Fourier fit
        (:func:`twindesk.geometry.contours.fourier_contour`): for convex-ish sections
        (annulus, LVOT, STJ, ascending aorta) whose calcium notches and marching-squares
        noise must not bias perimeter and area."""
        sec = self.section(center_lps_mm, normal_lps, **kw)
        if sec is None:
            return None
        exclude = None
        if sec.calcium is not None:
            frame, calc = sec.frame, sec.calcium
            m = calc.shape[0]

            def exclude(ab):
                i = np.clip(np.round(ab[:, 0] / frame.step_mm + (m - 1) / 2), 0, m - 1)
                j = np.clip(np.round(ab[:, 1] / frame.step_mm + (m - 1) / 2), 0, m - 1)
                return calc[j.astype(int), i.astype(int)]
        ab, _ = ct.fourier_contour(sec.contour_ab_mm, harmonics, exclude=exclude)
        return Section(sec.frame, ab, ct.metrics(ab), raw_ab_mm=sec.contour_ab_mm,
                       calcium=sec.calcium)


def _disk(r: int) -> np.ndarray:
    y, x = np.mgrid[-r:r + 1, -r:r + 1]
    return x * x + y * y <= r * r + r


def _component(inside: np.ndarray, disk: np.ndarray, rb: int, mid: int, step_mm: float
               ) -> np.ndarray | None:
    """The region of ``inside`` (thin gaps bridged, holes filled) at or nearest the centre."""
    from scipy import ndimage as ndi

    bridged = ndi.binary_closing(np.pad(inside, rb), structure=disk)[rb:-rb, rb:-rb]
    filled = ndi.binary_fill_holes(bridged | inside)
    lab, _ = ndi.label(filled)
    k = _label_near_centre(lab, mid, max(1, int(round(2.0 / step_mm))))
    return None if k == 0 else lab == k


def _label_near_centre(lab: np.ndarray, mid: int, reach: int) -> int:
    """The label at the centre pixel, else the nearest label within ``reach`` pixels."""
    if lab[mid, mid]:
        return int(lab[mid, mid])
    win = lab[mid - reach:mid + reach + 1, mid - reach:mid + reach + 1]
    idx = np.argwhere(win > 0)
    if idx.size == 0:
        return 0
    d = np.hypot(*(idx - reach).T)
    j, i = idx[np.argmin(d)]
    return int(win[j, i])
