"""Aortic root measurements for TAVR planning from the three hinge points (LPS mm).

Definitions (Blanke P, et al. SCCT expert consensus on CT for TAVI/TAVR, J Cardiovasc
Comput Tomogr 2019;13:1-20):

* annulus: the lumen contour in the hinge plane (virtual basal ring); LVOT: the lumen contour
  in the parallel plane 4 mm below; both with perimeter, area, derived diameters, min/max
  diameter and eccentricity (:mod:`twindesk.geometry.contours`);
* STJ: the narrowest section parallel to the annulus above the sinuses; its height is the
  distance of its centre from the annulus plane; sinus heights: hinge to the STJ plane;
* ascending aorta: the section perpendicular to the lumen axis 40 mm (axis arc length)
  above the annulus centre;
* sinus of Valsalva diameters: in the sinus plane (parallel to the annulus, where the mean
  of the three diameters is largest, searched below the coronary ostia and the STJ), from
  the wall at each cusp's centre to the opposite commissure;
* coronary heights: perpendicular distance from the annulus plane to the lower edge of each
  ostium (user-placed points are taken as the lower edges; otherwise the ostia are detected,
  :mod:`twindesk.geometry.coronary`);
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


def stj_section(lv: LumenVolume, frame: RootFrame) -> dict[str, Any] | None:
    """The STJ: the narrowest section parallel to the annulus above the widest one (the
    sinuses), refined in 0.25 mm steps; ``None`` when the root has no closed sections."""
    hs = np.arange(2.0, 36.0, 1.0)
    secs = [parallel_section(lv, frame, h, smooth=False, step_mm=0.4) for h in hs]
    area = np.array([_despiked_area(s) if s is not None else np.nan for s in secs])
    if np.all(~np.isfinite(area)):
        return None
    k_sin = int(np.nanargmax(np.where(hs <= 25.0, area, np.nan)))
    above = (np.arange(len(hs)) > k_sin) & (hs <= hs[k_sin] + 22.0) & np.isfinite(area)
    if not above.any():
        return None
    k0 = int(np.nanargmin(np.where(above, area, np.nan)))
    fine = np.arange(hs[k0] - 1.0, hs[k0] + 1.01, 0.25)
    fsecs = [parallel_section(lv, frame, h) for h in fine]
    d = np.array([s.metrics.area_derived_diameter_mm if s else np.inf for s in fsecs])
    stj = fsecs[int(np.argmin(d))]
    if stj is None:
        return None
    rec = section_record(stj, frame)
    rec["diameter_mm"] = rec["area_derived_diameter_mm"]
    return rec


def sinus_level(lv: LumenVolume, frame: RootFrame, hinges: dict, top_mm: float
                ) -> tuple[float, Section, dict] | None:
    """The sinus plane: parallel to the annulus, at most ``top_mm`` above it, where the mean
    of the three cusp-to-opposite-commissure diameters is largest (1 mm search, then
    0.25 mm). ``top_mm`` lies below the coronary ostia, so that a coronary branch leaving
    the sinus is not read as sinus width."""
    def mean_d(h, step):
        sec = parallel_section(lv, frame, h, smooth=False, step_mm=step)
        if sec is None:
            return -np.inf, None, None
        d = sinus_diameters(sec, frame, hinges)
        return float(np.mean([d[k]["diameter_mm"] for k in CUSPS])), sec, d

    top = max(float(top_mm), 3.0)
    coarse = np.arange(2.0, top + 1e-6, 1.0)
    if coarse.size == 0:
        return None
    m = [mean_d(h, 0.4)[0] for h in coarse]
    if not np.isfinite(np.max(m)):
        return None
    h0 = float(coarse[int(np.argmax(m))])
    best = None
    for h in np.arange(max(2.0, h0 - 0.75), min(top, h0 + 0.75) + 1e-6, 0.25):
        v, sec, d = mean_d(float(h), 0.25)
        if sec is not None and (best is None or v > best[0]):
            best = (v, float(h), sec, d)
    return None if best is None else best[1:]


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


def coronary_heights(frame: RootFrame, ostia: dict) -> dict[str, Any]:
    """Heights of the ostia's lower edges above the annulus plane. ``ostia`` maps ``left`` /
    ``right`` to an LPS point (the user's) or to a detection record (``source`` "auto")."""
    out: dict[str, Any] = {}
    for side in ("left", "right"):
        p = ostia.get(side)
        if p is None:
            out[side] = None
            continue
        rec = dict(p) if isinstance(p, dict) else {"lower_edge_lps_mm": _pt(p), "source": "user"}
        rec["height_mm"] = float(frame.height(rec["lower_edge_lps_mm"])[0])
        out[side] = rec
    return out


def ostia_source(heights: dict) -> str | None:
    """``"user"``, ``"auto"``, ``"mixed"`` or None (no ostium placed or found)."""
    kinds = {v["source"] for v in heights.values() if v}
    return None if not kinds else kinds.pop() if len(kinds) == 1 else "mixed"


def measure_root(lv: LumenVolume, hinges: dict, ostia: dict | None = None,
                 septum_lps_mm=None, aorta_hint=None, full: bool = True,
                 detect: bool = True) -> dict[str, Any]:
    """All root measurements (values without intervals; see
    :mod:`twindesk.geometry.uncertainty`).

    ``ostia`` maps ``left`` / ``right`` to the lower edge of the ostium (LPS mm, placed by
    the user; they override detection) or to a detection record. With ``full`` and
    ``detect``, missing ostia are detected in the image
    (:func:`twindesk.geometry.coronary.detect_ostia`). ``full=False`` measures only what
    depends on the annulus plane (hinge perturbations, live dragging in the GUI)."""
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
    ostia = {k: v for k, v in (ostia or {}).items() if v is not None}
    out["membranous_septum"] = None if septum_lps_mm is None else {
        "length_mm": float(-frame.height(septum_lps_mm)[0]), "point_lps_mm": _pt(septum_lps_mm)}
    if not full:
        out["coronary_heights"] = coronary_heights(frame, ostia)
        out["ostia_source"] = ostia_source(out["coronary_heights"])
        return out
    stj = stj_section(lv, frame)
    out["stj"] = stj
    if detect and ("left" not in ostia or "right" not in ostia):
        from twindesk.geometry.coronary import detect_ostia

        found = detect_ostia(lv, frame, hinges, stj["height_mm"] if stj else None)
        for side in ("left", "right"):
            if side not in ostia and found[side] is not None:
                ostia[side] = found[side]
    out["coronary_heights"] = heights = coronary_heights(frame, ostia)
    out["ostia_source"] = ostia_source(heights)
    top = (stj["height_mm"] if stj else 20.0) - 2.0
    edges = [v["height_mm"] for v in heights.values() if v]
    if edges:
        top = min(top, min(edges) - 1.0)
    found_sinus = sinus_level(lv, frame, hinges, top)
    out["sinus"] = None
    sin = None
    if found_sinus is not None:
        level, sin, by_cusp = found_sinus
        for k in CUSPS:
            by_cusp[k]["height_mm"] = (float(stj["height_mm"] - frame.height(hinges[k])[0])
                                       if stj else None)
        out["sinus"] = {"level_above_annulus_mm": level, "search_top_mm": float(top),
                        "level_rule": "largest mean cusp-to-opposite-commissure diameter, "
                                      "below the STJ and 1 mm below the lowest coronary "
                                      "ostium", "by_cusp": by_cusp}
    stj_sec = None
    if stj is not None:
        stj_sec = parallel_section(lv, frame, stj["height_mm"])
    out["ascending_aorta"] = ascending(lv, frame, stj_sec)
    out["_frame"] = frame
    out["_sections"] = {"annulus": ann, "lvot": lvot, "sinus": sin}
    return out
