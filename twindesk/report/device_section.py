"""The report's device section: sizing against the measured annulus and every simulated
deployment (``twindesk place``) with its mechanics, risks and intervals.

Reads what the placement job stores: the index ``case.doc["placements"]`` and each
placement's ``result:place:<device>:<size>:metrics``; sizing comes from the root
measurement through the device library (:mod:`twindesk.geometry.tavr_sizing`).
"""

from __future__ import annotations

from typing import Any

from twindesk.errors import TwindeskError
from twindesk.report.content import Missing, Paragraph, Section, Table, fmt, fmt_interval

MEASURE_KEY = "result:measure:root"


def _iv(x: Any, sig: int = 3) -> str:
    """``value (low – high unit)``; "not available" for a missing number."""
    if not isinstance(x, dict) or x.get("value") is None:
        return "not available"
    unit = None if x.get("unit") in (None, "1") else x["unit"]
    text = fmt(x["value"], unit, sig)
    interval = fmt_interval(x.get("low"), x.get("high"), unit, sig)
    return f"{text} ({interval})" if interval else text


def placements(case) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(index record, metrics) of every stored placement, by device and size."""
    out = []
    index = case.doc.get("placements") or {}
    for key in sorted(index, key=lambda k: (index[k]["device"], index[k]["size_mm"])):
        rec = index[key]
        try:
            out.append((rec, case.read_json(rec["artifacts"]["metrics"])))
        except (TwindeskError, KeyError, ValueError):
            continue                       # reported as missing by the caller
    return out


def _name(rec: dict[str, Any], m: dict[str, Any]) -> str:
    return f"{m['device']['name']} {rec['size_mm']:g} mm"


def _annulus_level(m: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    lv = m["levels"].get("annulus")
    return ("annulus", lv) if lv else ("inflow", m["levels"]["inflow"])


def mechanics_table(items) -> Table:
    rows = []
    for rec, m in items:
        where, lv = _annulus_level(m)
        rows.append((
            _name(rec, m),
            f"{m['model']}, {fmt(m['placement']['depth_mm'], 'mm')} deep, "
            f"{fmt(m['placement']['rotation_deg'], '°')}",
            f"{_iv(lv['min_diameter_mm'])} / {_iv(lv['max_diameter_mm'])} ({where})",
            _iv(lv["expansion_pct"]),
            _iv(m["contact_pressure"]["max_kpa"]),
            _iv(m["paravalvular_gap"]["area_mm2"])))
    return Table(("Device", "Model, depth, rotation", "Min / max frame diameter",
                  "Expansion of nominal", "Max contact pressure", "Gap > 1 mm area"),
                 tuple(rows), "Deployed frame at the annulus (inflow when the annulus plane "
                 "lies below the frame) with ranges from wall-stiffness (×0.5, ×2) "
                 "and implant-depth (±2 mm) perturbations.",
                 (0.2, 0.16, 0.2, 0.14, 0.15, 0.15))


def _vtc(m: dict[str, Any], side: str) -> str:
    c = m["coronary"].get(side)
    if not c:
        return "ostium not measured"
    flag = "HIGH RISK" if c["vtc_high_risk"] else "VTC ≥ 4 mm"
    return f"{_iv(c['vtc_mm'])}, {flag}"


def _msid(m: dict[str, Any]) -> str:
    con = m["conduction"]
    if con.get("msid_mm") is None:
        return "no septum point"
    return f"{_iv(con['msid_mm'])}, {con['risk']} risk"


def _eoa(m: dict[str, Any]) -> str:
    e = m["eoa"]
    if e.get("indexed_eoa_cm2_per_m2") is None:
        eoa = e.get("projected_eoa_cm2")
        return f"EOA {_iv(eoa)}; no BSA" if eoa else "no EOA"
    return f"{_iv(e['indexed_eoa_cm2_per_m2'])}, PPM {e['ppm']}"


def risk_table(items) -> Table:
    rows = tuple((_name(rec, m), _vtc(m, "left"), _vtc(m, "right"), _msid(m), _eoa(m))
                 for rec, m in items)
    return Table(("Device", "VTC left", "VTC right", "Septum − depth (MSID)",
                  "Indexed EOA, mismatch"), rows,
                 "Coronary obstruction: VTC, horizontal distance from the ostium to the "
                 "virtual valve cylinder (< 4 mm high risk; Blanke 2016, Khan 2023). "
                 "Conduction: membranous-septum length minus implant depth (Hamdan 2015; "
                 "graded as Jørgensen 2022). Indexed EOA = library EOA / BSA, mismatch "
                 "by VARC-3.", (0.2, 0.2, 0.2, 0.2, 0.2))


def sizing_table(case, library) -> Table | None:
    from twindesk.geometry.tavr_sizing import size

    if case.artifact(MEASURE_KEY) is None:
        return None
    result = size(case.read_json(MEASURE_KEY), library)
    rows = []
    for fam in result["families"]:
        for s in fam["sizes"]:
            rows.append((f"{fam['name']} {s['size_mm']:g} mm",
                         "fits" if s["fits"] else "outside range",
                         fmt(s["oversizing_perimeter_pct"], "%"),
                         fmt(s["oversizing_area_pct"], "%"),
                         "; ".join(s["warnings"]) or "none"))
    if not rows:
        return None
    return Table(("Device", "Annulus range", "Oversizing by perimeter", "Oversizing by area",
                  "Warnings"), tuple(rows), "Device sizes against the measured annulus, "
                 "each family sized by its own basis (annulus area or perimeter).",
                 (0.26, 0.13, 0.13, 0.13, 0.35))


def devices(case, ctx) -> Section:
    """Sizing, deployment mechanics and risks of the stored placements."""
    from twindesk.model.devices import load_library

    s = Section("devices", "Device size comparison, mechanics and risks")
    table = sizing_table(case, load_library())
    if table is not None:
        s.add(table)
    else:
        s.add(Missing("No device has been sized for this case",
                      "sizing needs the aortic root measurements first (twindesk measure)"))
    items = placements(case)
    lost = len(case.doc.get("placements") or {}) - len(items)
    if items:
        s.add(mechanics_table(items), risk_table(items))
        models = sorted({m["model"] for _, m in items})
        s.add(Paragraph(
            "Frames are the device library's documented generic frames (the makers' cell "
            "patterns are not public), deployed with the " + " and ".join(models) +
            " mechanics model in the segmented lumen with an elastic wall; the displaced "
            "native leaflets are modelled as a cylinder on the frame up to the commissure "
            "height. Projected EOA values are the published normal values by size.", "note"))
    else:
        s.add(Missing("Deployment mechanics (frame expansion, contact pressure, paravalvular "
                      "gap, coronary and conduction-system risk indicators) have not been "
                      "computed", "run twindesk place CASE --device ID --size MM (or the "
                                  "Device panel)"))
    if lost > 0:
        s.add(Missing(f"{lost} stored placement result(s) could not be read",
                      "run twindesk place again for those sizes"))
    return s
