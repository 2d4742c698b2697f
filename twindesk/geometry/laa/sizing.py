"""Occluder sizing from a stored LAA analysis (``twindesk size --laa``).

Each occluder family is sized with :func:`twindesk.model.devices.size_ostium` from its own
landing zone (the analysis' cut perpendicular to the appendage axis at the family's
documented landing-zone depth; the ostium when the axis is too short): maximum and mean
diameter, and the appendage depth along its axis. Compression follows the family's
convention ``(device diameter - anatomy diameter) / device diameter * 100`` at the maximum
diameter (the sizing measurement, least compression) and at the mean; its interval comes
from the diameter's interval. Perimeter and area oversizing ``(pi d / P - 1) * 100`` and
``(pi d² / 4 / A - 1) * 100`` are given too.
"""

from __future__ import annotations

import math
from typing import Any

from twindesk.geometry.laa.intervals import interval


def _compression(device_mm: float, d: dict) -> dict:
    return interval(100.0 * (device_mm - d["value"]) / device_mm,
                    100.0 * (d["high"] - d["value"]) / device_mm,
                    100.0 * (d["value"] - d["low"]) / device_mm, "%")


def size_laa(analysis: dict[str, Any], library) -> dict[str, Any]:
    """Fitting occluder sizes with compression % per family (see the module docstring)."""
    from twindesk.model.devices import OstiumMeasurements, fit_family

    zones = {z["device_id"]: z for z in analysis.get("landing_zones") or []}
    families, general = [], list(analysis.get("warnings") or [])
    basis_used = {}
    for fam in library.families:
        if fam.kind != "laao":
            continue
        zone = zones.get(fam.id)
        where = zone if zone is not None else analysis["ostium"]
        basis = "landing zone" if zone is not None else "ostium"
        basis_used[fam.id] = basis
        m = OstiumMeasurements(max_diameter_mm=where["max_diameter_mm"]["value"],
                               mean_diameter_mm=where["mean_diameter_mm"]["value"],
                               min_diameter_mm=where["min_diameter_mm"]["value"],
                               depth_mm=analysis["depth_mm"]["value"])
        d = fit_family(fam, m).to_dict()
        perim, area = where["perimeter_mm"]["value"], where["area_mm2"]["value"]
        for s, size in zip(d["sizes"], fam.sizes):
            dia = size.diameter_mm
            s["compression_pct"] = _compression(dia, where["max_diameter_mm"])
            s["compression_at_mean_pct"] = _compression(dia, where["mean_diameter_mm"])
            s["compression_in_range"] = (size.compression_min_pct
                                         <= s["compression_pct"]["value"]
                                         <= size.compression_max_pct)
            s["oversizing_perimeter_pct"] = (math.pi * dia / perim - 1.0) * 100.0
            s["oversizing_area_pct"] = (math.pi * dia ** 2 / 4.0 / area - 1.0) * 100.0
            s["device_depth_mm"] = size.depth_mm
        warnings = set(d["warnings"])
        for s in d["sizes"]:
            warnings.update(s["warnings"])
        if fam_status_out(d["status"]):
            warnings.add(f"the {basis} ({m.max_diameter_mm:.1f} mm) lies outside every size "
                         f"of {fam.name} ({d['status']})")
        perp = (analysis.get("depth_perpendicular_mm") or {}).get("value")
        for s in d["sizes"]:
            if s["fits"] and perp is not None and perp < 0.5 * s["device_depth_mm"]:
                warnings.add(f"the appendage reaches only {perp:.1f} mm beyond the ostium "
                             f"plane: shallow for the {s['size_mm']:g} mm device "
                             f"({s['device_depth_mm']:g} mm long)")
        d["warnings"] = sorted(warnings)
        d["fitting"] = [s for s in d["sizes"] if s["fits"]]
        d["basis"] = basis
        d["landing_zone_depth_mm"] = zone["depth_mm"] if zone is not None else None
        families.append(d)
    first = next(iter(zones.values()), None) or analysis["ostium"]
    return {
        "mode": "laa",
        "measurements": {
            "basis": basis_used, "ostium_source": analysis["ostium"]["source"],
            "max_diameter_mm": first["max_diameter_mm"],
            "mean_diameter_mm": first["mean_diameter_mm"],
            "min_diameter_mm": first["min_diameter_mm"],
            "perimeter_mm": first["perimeter_mm"]["value"],
            "area_mm2": first["area_mm2"]["value"],
            "depth_mm": analysis["depth_mm"],
            "morphology": analysis["morphology"],
            "coronary_height_left_mm": None, "coronary_height_right_mm": None},
        "families": families, "warnings": general}


def fam_status_out(status: str) -> bool:
    return status in ("below-range", "above-range")
