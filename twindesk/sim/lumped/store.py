"""The physiology block of a case: ``case.doc["physiology"]``.

Layout (clinical units in every key name)::

    "physiology": {
      "model": "lv-elastance+bernoulli-valve+rcr+venous/1",
      "scenarios": {
        "baseline": {"parameters": {<full clinical parameter dict>},
                     "calibration_id": "cal-3", "description": ..., "updated_utc": ...},
        "<name>":   {"from": "baseline",                    # a variant of another scenario
                     "overrides": {"aortic_eoa_cm2": 1.9, "heart_rate_bpm": 80},
                     "targets": {"cardiac_output_l_min": 5.0},  # optional: volume refit
                     "description": ...}
      },
      "calibrations": [ {"id", "time_utc", "source", "data", "targets", "parameters",
                         "fitted", "reproduced", "predictions", "bsa_m2", ...}, ... ],
      "bsa_m2": 1.9,                       # latest known body surface area (Mosteller)
      "results": {"<scenario>": {"time_utc", "haemodynamics", "artifacts"}}
    }

A scenario either holds its full ``parameters`` or derives from another scenario by
``overrides``; ``targets.cardiac_output_l_min`` refits the stressed volume so the variant
keeps (or changes to) that cardiac output. Calibrations are appended, never replaced, so
earlier fits stay available (versioning of the twin is built on top of this list).
"""

from __future__ import annotations

import math
from typing import Any

from twindesk.errors import CaseError, InputError
from twindesk.sim.lumped.params import Circulation, Windkessel, default_circulation, from_clinical

MODEL_ID = "lv-elastance+bernoulli-valve+rcr+venous/1"
BASELINE = "baseline"


def _empty_physiology() -> dict[str, Any]:
    return {"model": MODEL_ID, "scenarios": {}, "calibrations": [], "results": {}}


def physiology(doc: dict[str, Any]) -> dict[str, Any]:
    """The physiology block of a case document with every key present (an empty, valid one
    when absent).

    Reading never changes ``doc``: a block missing keys is returned as a completed copy (a
    case opened in the window would otherwise count as changed). Writers store what they
    changed back as ``doc["physiology"]``.
    """
    phys = doc.get("physiology")
    if phys is None:
        return _empty_physiology()
    if not isinstance(phys, dict) or not isinstance(phys.get("scenarios", {}), dict):
        raise CaseError("case.json: 'physiology' is damaged (expected an object with "
                        "'scenarios')", "restore case.json or recalibrate the case")
    missing = {k: v for k, v in _empty_physiology().items() if k not in phys}
    return {**phys, **missing} if missing else phys


def scenario_names(doc: dict[str, Any]) -> list[str]:
    names = set(physiology(doc)["scenarios"])
    names.add(BASELINE)
    return sorted(names, key=lambda n: (n != BASELINE, n))


def resolve_scenario(doc: dict[str, Any], name: str, _seen: tuple[str, ...] = ()
                     ) -> tuple[Circulation, dict[str, Any]]:
    """Parameters of scenario ``name`` and a description of where they came from.

    The baseline of an uncalibrated case is the population default, and says so. An
    unknown name raises :class:`InputError` listing the scenarios.
    """
    scenarios = physiology(doc)["scenarios"]
    if name in _seen:
        raise CaseError(f"physiology scenario '{name}' derives from itself "
                        f"({' → '.join(_seen + (name,))})", "fix the scenario's 'from' field")
    entry = scenarios.get(name)
    if entry is None:
        if name == BASELINE:
            return default_circulation(), {"scenario": name, "parameters_source":
                                           "population defaults (case not calibrated)"}
        raise InputError(f"--scenario: unknown scenario '{name}'",
                         f"choose one of: {', '.join(scenario_names(doc))}")
    where = f"case.json physiology.scenarios.{name}"
    if "parameters" in entry:
        c = from_clinical(entry["parameters"], where)
        src = (f"calibration {entry['calibration_id']}" if entry.get("calibration_id")
               else "stored parameters")
        info = {"scenario": name, "parameters_source": src}
    else:
        base_name = entry.get("from", BASELINE)
        base, base_info = resolve_scenario(doc, base_name, _seen + (name,))
        overrides = entry.get("overrides", {})
        if not isinstance(overrides, dict):
            raise CaseError(f"{where}.overrides must be an object", "fix or recreate the scenario")
        c = base.with_(**overrides) if overrides else base
        info = {"scenario": name, "parameters_source":
                f"scenario '{base_name}' ({base_info['parameters_source']}) with "
                f"{', '.join(f'{k}={v}' for k, v in overrides.items()) or 'no changes'}"}
    targets = entry.get("targets") or {}
    co = targets.get("cardiac_output_l_min")
    if co is not None:
        if not isinstance(co, (int, float)) or not math.isfinite(co) or co <= 0:
            raise CaseError(f"{where}.targets.cardiac_output_l_min must be a positive number")
        info["cardiac_output_target_l_min"] = float(co)
    return c, info


def add_calibration(doc: dict[str, Any], record: dict[str, Any], parameters: dict[str, Any]
                    ) -> str:
    """Append a calibration record and make its parameters the baseline. Returns its id."""
    phys = physiology(doc)
    cal_id = f"cal-{len(phys['calibrations']) + 1}"
    phys["calibrations"].append({"id": cal_id, **record, "parameters": parameters})
    base = phys["scenarios"].get(BASELINE, {})
    phys["scenarios"][BASELINE] = {**{k: v for k, v in base.items()
                                      if k not in ("from", "overrides")},
                                   "parameters": parameters, "calibration_id": cal_id,
                                   "updated_utc": record.get("time_utc")}
    if record.get("bsa_m2") is not None:
        phys["bsa_m2"] = record["bsa_m2"]
    doc["physiology"] = phys
    return cal_id


def latest_calibration(doc: dict[str, Any]) -> dict[str, Any] | None:
    cals = physiology(doc)["calibrations"]
    return cals[-1] if cals else None


def calibrated_windkessel(doc: dict[str, Any], scenario: str = BASELINE) -> Windkessel:
    """The systemic Windkessel of a scenario (SI) with ``pd_pa`` = the mean venous pressure
    of its latest 0D result or calibration (0 Pa when neither exists).

    Feed it with the outlet areas to :func:`twindesk.sim.lumped.outlets.outlet_rcr` for the
    3D flow boundary conditions.
    """
    from twindesk.sim.lumped.units import mmhg_to_pa

    c, _ = resolve_scenario(doc, scenario)
    phys = physiology(doc)
    venous = (phys["results"].get(scenario, {}).get("haemodynamics", {})
              .get("venous_mean_mmhg"))
    if venous is None and scenario == BASELINE and phys["calibrations"]:
        venous = phys["calibrations"][-1].get("venous_mean_mmhg")
    wk = c.arteries
    return Windkessel(wk.rp_pa_s_per_m3, wk.c_m3_per_pa, wk.rd_pa_s_per_m3,
                      mmhg_to_pa(venous) if venous is not None else 0.0)


def outlet_bcs(doc: dict[str, Any], regions: list[dict[str, Any]], scenario: str = BASELINE
               ) -> list[dict[str, Any]]:
    """Per-outlet RCR records (SI) for the outlet regions of a flow mesh.

    ``regions`` is the ``meta["regions"]`` list of a ``mesh_boundary:<structure>`` artefact
    (``{"id", "name", "kind", "area_mm2", ...}``); only ``kind == "outlet"`` entries are used,
    in their order, and each record carries its ``region_id``.
    """
    from twindesk.sim.lumped.outlets import outlet_rcr_table

    outlets = [r for r in regions if r.get("kind") == "outlet"]
    if not outlets:
        raise InputError("the flow mesh has no outlet regions",
                         "rebuild the flow mesh with its outlets labelled")
    try:
        areas = [float(r["area_mm2"]) * 1e-6 for r in outlets]
    except (KeyError, TypeError, ValueError):
        raise InputError("an outlet region of the flow mesh has no numeric 'area_mm2'",
                         "rebuild the flow mesh") from None
    table = outlet_rcr_table(calibrated_windkessel(doc, scenario), areas,
                             [str(r.get("name", f"outlet_{r.get('id')}")) for r in outlets])
    for rec, region in zip(table, outlets, strict=True):
        rec["region_id"] = region.get("id")
    return table
