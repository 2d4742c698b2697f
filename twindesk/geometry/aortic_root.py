"""Aortic root measurements for TAVR planning from the three hinge points (LPS mm).

Definitions (Blanke P, et al. SCCT expert consensus on CT for TAVI/TAVR, J Cardiovasc
Comput Tomogr 2019;13:1-20):

* annulus: the lumen contour in the hinge plane (virtual basal ring); LVOT: the lumen contour
  in the parallel plane 4 mm below; both with perimeter, area, derived diameters, min/max
  diameter and eccentricity (:mod:`twindesk.geometry.contours`);
* sinus of Valsalva diameters: in the widest section parallel to the annulus (below the
  STJ), from the wall at each cusp's centre to the opposite commissure;
* STJ: the narrowest section parallel to the annulus above the sinuses; its height is the
  distance of its centre from the annulus plane; sinus heights: hinge to the STJ plane;
* ascending aorta: the section perpendicular to the lumen axis 40 mm (axis arc length)
  above the annulus centre;
* coronary heights: perpendicular distance from the annulus plane to the lower edge of each
  ostium (the given points are taken as the lower edges);
* membranous septum length: distance of the user-placed septum point (the inferior border of
  the membranous septum) below the annulus plane.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from twindesk.geometry.annulus import CUSPS, RootFrame, hinge_plane, unit
from twindesk.geometry.lumen import LumenVolume, Section

LVOT_DEPTH_MM = 4.0
ASCENDING_LEVEL_MM = 40.0


def _pt(v) -> list[float]:
    return [float(x) for x in np.asarray(v, float).ravel()[:3]]


def section_record(sec: Section, frame: RootFrame) -> dict[str, Any]:
    m = sec.metrics
    return {**{k: float(v) for k, v in m.as_dict().items()},
            "center_lps_mm": _pt(sec.centroid_lps_mm),
            "height_mm": float(frame.height(sec.centroid_lps_mm)[0]),
            "contour_lps_mm": [_pt(p) for p in sec.contour_lps_mm[::4]]}


def annulus_frame(lv: LumenVolume, hinges: dict, aorta_hint=None) -> tuple[RootFrame, Section]:
    """The hinge plane centred on its lumen contour's centroid, and the annulus section."""
    frame = hinge_plane(hinges, aorta_hint)
    if lv.levels is None:
        lv.calibrate(frame.center_lps_mm, frame.normal_lps, 11.0)
    for _ in range(2):
        sec = lv.smooth_section(frame.center_lps_mm, frame.normal_lps, half_size_mm=30.0,
                                up_hint=frame.anterior, max_radius_mm=28.0)
        if sec is None:
            from twindesk.errors import InputError

            raise InputError("no lumen contour in the annulus plane",
                             "check the hinge points: they must lie on the aortic annulus")
        c = sec.centroid_lps_mm
        frame = RootFrame(c - frame.height(c)[0] * frame.normal_lps, frame.normal_lps)
    return frame, sec


def parallel_section(lv: LumenVolume, frame: RootFrame, height_mm: float, smooth=True,
                     step_mm: float = 0.25) -> Section | None:
    f = frame.shifted(height_mm)
    fn = lv.smooth_section if smooth else lv.section
    return fn(f.center_lps_mm, f.normal_lps, half_size_mm=30.0, step_mm=step_mm,
              up_hint=frame.anterior, max_radius_mm=28.0)


def sinus_and_stj(lv: LumenVolume, frame: RootFrame, hinges: dict) -> dict[str, Any]:
    """Sinus section (widest) and STJ (narrowest above it) parallel to the annulus."""
    hs = np.arange(2.0, 36.0, 1.0)
    secs = [parallel_section(lv, frame, h, smooth=False, step_mm=0.4) for h in hs]
    area = np.array([_despiked_area(s) if s is not None else np.nan for s in secs])
    if np.all(~np.isfinite(area)):
        return {}
    in_sinus = hs <= 25.0
    k_sin = int(np.nanargmax(np.where(in_sinus, area, np.nan)))
    above = (np.arange(len(hs)) > k_sin) & (hs <= hs[k_sin] + 22.0) & np.isfinite(area)
    out: dict[str, Any] = {}
    if above.any():
        k0 = int(np.nanargmin(np.where(above, area, np.nan)))
        fine = np.arange(hs[k0] - 1.0, hs[k0] + 1.01, 0.25)
        fsecs = [parallel_section(lv, frame, h) for h in fine]
        d = np.array([s.metrics.area_derived_diameter_mm if s else np.inf for s in fsecs])
        j = int(np.argmin(d))
        stj = fsecs[j]
        if stj is not None:
            rec = section_record(stj, frame)
            rec["diameter_mm"] = rec["area_derived_diameter_mm"]
            out["stj"] = rec
    sin = parallel_section(lv, frame, float(hs[k_sin]), smooth=False)
    if sin is not None:
        out["sinus_section"] = sin
        out["sinus_height_level_mm"] = float(hs[k_sin])
    return out


def _despiked_area(sec: Section) -> float:
    """Section area with narrow spikes (coronary ostia) removed from the wall radius."""
    from scipy import ndimage as ndi

    th = np.radians(np.arange(0.0, 360.0, 2.0))
    r = sec.radius_at(th, sec.metrics.centroid_ab_mm)
    r = ndi.median_filter(np.where(np.isfinite(r), r, np.nanmedian(r)), size=9, mode="wrap")
    return float(0.5 * np.sum(r ** 2) * np.radians(2.0))


def sinus_diameters(sec: Section, frame: RootFrame, hinges: dict) -> dict[str, Any]:
    """Cusp-to-opposite-commissure diameters in the sinus section."""
    f = sec.frame
    ang = {k: float(np.arctan2(*(f.lps_to_plane_mm(np.asarray(hinges[k], float)[None])[0]
                                  [::-1]))) for k in CUSPS}
    th = np.radians(np.arange(0.0, 360.0, 1.0))
    from scipy import ndimage as ndi

    r = sec.radius_at(th)
    # coronary ostia are narrow spikes of the wall radius: a 25 deg median removes them
    r_med = ndi.median_filter(np.where(np.isfinite(r), r, np.nanmedian(r)), size=25,
                              mode="wrap")

    def arc(a0, a1):
        span = (a1 - a0) % (2 * np.pi)
        return (a0 + np.linspace(0.0, span, 60)) % (2 * np.pi)

    def at(a):
        idx = np.round(np.degrees(a)).astype(int) % 360
        return idx

    out = {}
    order = {"right": ("left", "non"), "left": ("non", "right"), "non": ("right", "left")}
    for k in CUSPS:
        a, b = order[k]
        # opposite commissure: narrowest wall between the other two cusps
        ca = arc(ang[a], ang[b])
        comm = ca[int(np.argmin(r_med[at(ca)]))]
        # cusp point: widest wall within +-40 deg of the hinge's direction
        ck = (ang[k] + np.radians(np.arange(-40, 41, 1.0))) % (2 * np.pi)
        cusp = ck[int(np.argmax(r_med[at(ck)]))]
        p1 = sec.ab_to_lps([r_med[at(np.array([cusp]))][0] * np.cos(cusp),
                            r_med[at(np.array([cusp]))][0] * np.sin(cusp)])[0]
        p2 = sec.ab_to_lps([r_med[at(np.array([comm]))][0] * np.cos(comm),
                            r_med[at(np.array([comm]))][0] * np.sin(comm)])[0]
        out[k] = {"diameter_mm": float(np.linalg.norm(p1 - p2)), "cusp_point_lps_mm": _pt(p1),
                  "opposite_commissure": f"{a}_{b}", "opposite_commissure_point_lps_mm": _pt(p2)}
    return out


def ascending(lv: LumenVolume, frame: RootFrame, start: Section | None,
              level_mm: float = ASCENDING_LEVEL_MM) -> dict[str, Any] | None:
    """Section perpendicular to the lumen axis ``level_mm`` of axis arc length above the
    annulus centre (the axis followed by section centroids from the STJ up)."""
    p = frame.center_lps_mm
    t = frame.normal_lps
    s = 0.0
    if start is not None:
        c = start.centroid_lps_mm
        s = float(np.linalg.norm(c - p))
        t = unit(c - p)
        p = c
    sec = None
    while s < level_mm - 1e-6:
        step = min(2.0, level_mm - s)
        q = p + step * t
        sec = lv.smooth_section(q, t, half_size_mm=35.0, step_mm=0.3, max_radius_mm=33.0)
        if sec is None:
            return None
        c = sec.centroid_lps_mm
        c = c - ((c - q) @ t) * t
        t = unit(0.7 * t + 0.3 * unit(c - p))
        s += float(np.linalg.norm(c - p))
        p = c
    if sec is None:
        return None
    rec = section_record(sec, frame)
    rec.update({"level_above_annulus_mm": level_mm,
                "diameter_mm": rec["area_derived_diameter_mm"],
                "axis_direction_lps": _pt(t)})
    return rec


def measure_root(lv: LumenVolume, hinges: dict, ostia: dict | None = None,
                 septum_lps_mm=None, aorta_hint=None, full: bool = True) -> dict[str, Any]:
    """All root measurements (values without intervals; see
    :mod:`twindesk.geometry.uncertainty`). ``full=False`` measures only what depends on the
    annulus plane (for the hinge perturbations)."""
    frame, ann = annulus_frame(lv, hinges, aorta_hint)
    out: dict[str, Any] = {
        "plane": {"center_lps_mm": _pt(frame.center_lps_mm), "normal_lps": _pt(frame.normal_lps),
                  "anterior_lps": _pt(frame.anterior), "left_lps": _pt(frame.left)},
        "annulus": section_record(ann, frame),
    }
    lvot = parallel_section(lv, frame, -LVOT_DEPTH_MM)
    out["lvot"] = section_record(lvot, frame) if lvot is not None else None
    if out["lvot"] is not None:
        out["lvot"]["depth_below_annulus_mm"] = LVOT_DEPTH_MM
    heights = {}
    for side in ("left", "right"):
        p = (ostia or {}).get(side)
        heights[side] = None if p is None else {
            "height_mm": float(frame.height(p)[0]), "lower_edge_lps_mm": _pt(p),
            "source": "user"}
    out["coronary_heights"] = heights
    out["membranous_septum"] = None if septum_lps_mm is None else {
        "length_mm": float(-frame.height(septum_lps_mm)[0]), "point_lps_mm": _pt(septum_lps_mm)}
    if not full:
        return out
    found = sinus_and_stj(lv, frame, hinges)
    stj = found.get("stj")
    out["stj"] = stj
    sin = found.get("sinus_section")
    out["sinus"] = None
    if sin is not None:
        out["sinus"] = {"level_above_annulus_mm": found["sinus_height_level_mm"],
                        "by_cusp": sinus_diameters(sin, frame, hinges)}
        for k in CUSPS:
            out["sinus"]["by_cusp"][k]["height_mm"] = (
                float(stj["height_mm"] - frame.height(hinges[k])[0]) if stj else None)
    stj_sec = None
    if stj is not None:
        stj_sec = parallel_section(lv, frame, stj["height_mm"])
    out["ascending_aorta"] = ascending(lv, frame, stj_sec)
    out["_frame"] = frame
    out["_sections"] = {"annulus": ann, "lvot": lvot, "sinus": sin}
    return out
