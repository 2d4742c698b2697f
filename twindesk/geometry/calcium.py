"""Calcium volume of the aortic valve complex on contrast CT.

Threshold (contrast-aware): luminal attenuation at the annulus + 100 HU. Among fixed
(650, 850 HU) and lumen-relative thresholds, "LA + 100 HU" best predicted paravalvular
regurgitation after TAVR ("Practical determination of aortic valve calcium volume score on
contrast-enhanced computed tomography prior to transcatheter aortic valve replacement and
impact on paravalvular regurgitation: elucidating optimal threshold cutoffs", J Cardiovasc
Comput Tomogr); the fixed 850 HU rule (Jilaihawi H, et al. Eur Heart J Cardiovasc Imaging
2014;15:1324-1332) is available as ``rule="850"``.

Regions by height above the annulus plane within the root (radius up to the annulus'
largest radius + 4 mm): LVOT -10..-2 mm, annulus -2..+2 mm, leaflets +2 mm..STJ (or 20 mm).
Distribution by cusp: sectors bounded by the commissure directions (midway between
neighbouring hinge directions).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from twindesk.geometry.annulus import CUSPS, RootFrame

REGIONS_MM = {"lvot": (-10.0, -2.0), "annulus": (-2.0, 2.0), "leaflets": (2.0, None)}


def threshold_hu(blood_hu: float, rule: str = "lumen+100") -> float:
    if rule == "850":
        return 850.0
    return float(blood_hu) + 100.0


def calcium(lv, frame: RootFrame, hinges: dict, radius_mm: float, stj_height_mm: float | None,
            rule: str = "lumen+100") -> dict[str, Any]:
    """Calcium volumes (mm³) by region and by cusp in the crop held by ``lv``."""
    thr = threshold_hu(lv.levels.blood_hu, rule)
    mask = lv.hu >= thr
    idx = np.argwhere(mask)
    vox = lv.grid.voxel_volume_mm3
    out = {"threshold_hu": thr, "rule": rule, "regions": {}, "by_cusp": {}}
    pts = lv.grid.zyx_to_lps(idx) if len(idx) else np.zeros((0, 3))
    h = frame.height(pts) if len(pts) else np.zeros(0)
    q = pts - frame.center_lps_mm - h[:, None] * frame.normal_lps if len(pts) else pts
    rho = np.linalg.norm(q, axis=1) if len(pts) else np.zeros(0)
    inside = rho <= radius_mm + 4.0
    top = stj_height_mm if stj_height_mm else 20.0
    ang = frame.angle_deg(pts) if len(pts) else np.zeros(0)
    hinge_ang = {k: float(frame.angle_deg(hinges[k])[0]) for k in CUSPS}
    for name, (lo, hi) in REGIONS_MM.items():
        sel = inside & (h >= lo) & (h < (top if hi is None else hi))
        out["regions"][name] = {"volume_mm3": float(sel.sum() * vox),
                                "from_height_mm": lo, "to_height_mm": top if hi is None else hi}
    valve = inside & (h >= -2.0) & (h < top)
    for k in CUSPS:
        out["by_cusp"][k] = {"volume_mm3": float((valve & _in_sector(ang, k, hinge_ang)).sum()
                                                 * vox)}
    out["total_volume_mm3"] = float(sum(r["volume_mm3"] for r in out["regions"].values()))
    return out


def _in_sector(ang: np.ndarray, cusp: str, hinge_ang: dict) -> np.ndarray:
    """Angles closer (circularly) to this cusp's hinge direction than to the others'."""
    d = {k: np.abs((ang - a + 180.0) % 360.0 - 180.0) for k, a in hinge_ang.items()}
    others = [d[k] for k in d if k != cusp]
    return (d[cusp] <= others[0]) & (d[cusp] <= others[1])
