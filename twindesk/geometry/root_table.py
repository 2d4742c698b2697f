"""The aortic-root result as rows of the case's measurement table.

:mod:`twindesk.report.measurements` reads every artefact ``result:measurements:<name>``
holding a JSON list of ``{"quantity", "value", "unit", "low", "high", "method"}``; the
measure job writes two: ``aortic-root`` (sizes and heights) and ``c-arm`` (the named views).
Intervals are those of the result (hinges +- one voxel and half a voxel of edge position,
:mod:`twindesk.geometry.uncertainty`).
"""

from __future__ import annotations

from typing import Any

ROOT_TABLE_KEY = "result:measurements:aortic-root"
CARM_TABLE_KEY = "result:measurements:c-arm"
SECTION_ROWS = (("perimeter_mm", "perimeter", "mm"), ("area_mm2", "area", "mm²"),
                ("perimeter_derived_diameter_mm", "perimeter-derived diameter", "mm"),
                ("area_derived_diameter_mm", "area-derived diameter", "mm"),
                ("min_diameter_mm", "minimum diameter", "mm"),
                ("max_diameter_mm", "maximum diameter", "mm"))


def _row(quantity: str, iv, unit: str, method: str) -> dict[str, Any] | None:
    if iv is None:
        return None
    if isinstance(iv, dict):
        return {"quantity": quantity, "value": iv["value"], "unit": unit,
                "low": iv.get("low"), "high": iv.get("high"), "method": method}
    return {"quantity": quantity, "value": float(iv), "unit": unit, "low": None,
            "high": None, "method": method}


def root_rows(res: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows for the sizes and heights of a ``result:measure:root`` record."""
    src = f"twindesk measure (hinges {res.get('hinges_source', '?')})"
    rows = []
    for key, name in (("annulus", "annulus"), ("lvot", "LVOT (4 mm below the annulus)")):
        sec = res.get(key)
        if sec:
            rows += [_row(f"{name} {label}", sec.get(q), unit, src)
                     for q, label, unit in SECTION_ROWS]
    for cusp, rec in ((res.get("sinus") or {}).get("by_cusp") or {}).items():
        rows.append(_row(f"sinus of Valsalva diameter ({cusp} cusp to the opposite "
                         "commissure)", rec.get("diameter_mm"), "mm", src))
    for key, name in (("stj", "sino-tubular junction"),
                      ("ascending_aorta", "ascending aorta 40 mm above the annulus")):
        rec = res.get(key)
        if rec:
            rows.append(_row(f"{name} diameter", rec.get("diameter_mm"), "mm", src))
    if res.get("stj"):
        rows.append(_row("sino-tubular junction height", res["stj"].get("height_mm"), "mm",
                         src))
    for side, rec in (res.get("coronary_heights") or {}).items():
        if rec:
            rows.append(_row(f"{side} coronary height (ostium lower edge, "
                             f"{rec.get('source', '?')})", rec.get("height_mm"), "mm", src))
    if res.get("membranous_septum"):
        rows.append(_row("membranous septum length", res["membranous_septum"]["length_mm"],
                         "mm", src))
    cal = res.get("calcium") or {}
    for region, rec in (cal.get("regions") or {}).items():
        rows.append(_row(f"calcium volume, {region} ({cal.get('rule')})",
                         rec.get("volume_mm3"), "mm³", src))
    return [r for r in rows if r is not None]


def carm_rows(res: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows for the named C-arm views (primary LAO+ / RAO-, secondary CRAN+ / CAUD-)."""
    fl = res.get("fluoroscopy") or {}
    pos = fl.get("patient_position", "HFS")
    how = f"edge-on annulus, patient {pos}" + (" (assumed)" if
                                                fl.get("patient_position_source") ==
                                                "assumed" else "")
    rows = []
    for name, v in (fl.get("views") or {}).items():
        label = name.replace("_", " ")
        rows.append(_row(f"{label} view, LAO(+)/RAO(-)", v["primary_deg"], "deg", how))
        rows.append(_row(f"{label} view, CRAN(+)/CAUD(-)", v["secondary_deg"], "deg", how))
    return rows
