"""TAVR sizing from a stored root measurement, through the device library's sizing.

Oversizing by perimeter and area, fitting sizes and the family's per-size root warnings
come from :func:`twindesk.model.devices.size_annulus`; this module only turns the
``result:measure:root`` record into :class:`~twindesk.model.devices.AnnulusMeasurements`
and adds a warning when the annulus fits no size of a family.
"""

from __future__ import annotations

from typing import Any

from twindesk.errors import CaseError

COMMON_CORONARY_LIMIT_MM = 10.0


def _v(x):
    return x["value"] if isinstance(x, dict) else x


def annulus_measurements(result: dict[str, Any]):
    from twindesk.model.devices import AnnulusMeasurements

    ann = result.get("annulus")
    if not ann:
        raise CaseError("the root measurement has no annulus", "run 'twindesk measure' again")
    sinus = (result.get("sinus") or {}).get("by_cusp", {})
    stj = result.get("stj") or {}
    asc = result.get("ascending_aorta") or {}
    cor = result.get("coronary_heights") or {}
    heights = [_v(v["height_mm"]) for v in sinus.values() if v.get("height_mm")]
    return AnnulusMeasurements(
        perimeter_mm=_v(ann["perimeter_mm"]), area_mm2=_v(ann["area_mm2"]),
        sinus_diameters_mm=tuple(_v(v["diameter_mm"]) for v in sinus.values()),
        sinus_height_mm=min(heights) if heights else None,
        stj_diameter_mm=_v(stj["diameter_mm"]) if stj else None,
        ascending_aorta_diameter_mm=_v(asc["diameter_mm"]) if asc else None,
        coronary_height_left_mm=_v(cor["left"]["height_mm"]) if cor.get("left") else None,
        coronary_height_right_mm=_v(cor["right"]["height_mm"]) if cor.get("right") else None)


def size(result: dict[str, Any], library) -> dict[str, Any]:
    """Per TAVR family: fitting sizes with oversizing and warnings."""
    from twindesk.model.devices import size_annulus

    m = annulus_measurements(result)
    families = []
    for fam in size_annulus(library, m):
        d = fam.to_dict()
        warnings = list(d["warnings"])
        if fam.status in ("below-range", "above-range"):
            warnings.append(f"annulus outside every size of {fam.name} ({fam.status})")
        for s in d["sizes"]:
            warnings += [f"{w}" for w in s["warnings"]]
        d["warnings"] = sorted(set(warnings))
        d["fitting"] = [s for s in d["sizes"] if s["fits"]]
        families.append(d)
    general = []
    for side, h in (("left", m.coronary_height_left_mm), ("right", m.coronary_height_right_mm)):
        if h is not None and h < COMMON_CORONARY_LIMIT_MM:
            general.append(f"{side} coronary height {h:.1f} mm < {COMMON_CORONARY_LIMIT_MM:g} "
                           "mm: risk of coronary obstruction")
        if h is None:
            general.append(f"{side} coronary height not measured (place the ostium with "
                           "'twindesk measure --ostia-lps')")
    return {"measurements": {k: v for k, v in m.__dict__.items()},
            "families": families, "warnings": general}
