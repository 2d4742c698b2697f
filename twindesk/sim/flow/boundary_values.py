"""Inflow and outlet conditions for a case: from the calibrated physiology when present,
otherwise documented defaults.

Physiology is ``case.doc["physiology"]`` as laid out by :mod:`twindesk.sim.lumped.store`
(scenarios, calibrations, latest 0D results). Read in this order:

* cardiac output: the scenario's ``targets.cardiac_output_l_min``, else the scenario's
  latest 0D result ``results[scenario].haemodynamics.cardiac_output_l_min``, else the same
  for the scenario it derives from (``from``, as ``twindesk scenario add`` stores it), and
  so on up to the baseline, else a flat ``cardiac_output_l_min``;
* peak systolic flow: ``results[scenario].haemodynamics.peak_aortic_flow_ml_s``;
* outlets: per-outlet RCR from :func:`twindesk.sim.lumped.store.outlet_bcs` (Murray split of
  the calibrated Windkessel). The steady resistance of an outlet is the sum of its
  ``*_pa_s_per_m3`` values (proximal + distal: a capacitance carries no steady flow) and its
  reference pressure is the distal ``pd_pa``. Flat ``physiology["outlets"]`` entries matched
  by ``region_id`` or ``name`` are accepted too.

Anything missing falls back to the defaults below, and the output lists what was assumed.

Defaults
--------
* Cardiac output 5.0 L/min at rest (Guyton & Hall, *Textbook of Medical Physiology*, 14th
  ed., ch. 20).
* Mean arterial pressure 93 mmHg (diastolic 80 + (systolic 120 − 80)/3) and a distal
  (venous) reference pressure 0, so the total peripheral resistance is MAP / CO.
* That resistance is split between outlets so that flow divides as area^1.5 (Murray's law,
  Murray CD, PNAS 1926;12:207–214: flow ∝ radius³), the rule the 0D model uses too.
* Peak systolic flow = mean flow × π / (2 × 0.33): a half-sine ejection lasting a third of
  the cycle carries the whole stroke volume (≈ 24 L/min at CO 5 L/min).
* Systolic aortic pressure 120 mmHg, for the pressure level of a peak-flow solve (below).

Peak-flow pressure level
------------------------
A steady solve has no compliance. At peak systole the arterial compliance takes up much of
the ejected flow, so the steady resistances (proximal + distal) driven by the whole peak flow
would put the aorta at several times the patient's pressure (~440 mmHg at 17 L/min in the
calibrated demo case). At ``flow="peak"`` the resistances still set the outlet split, but the
outlets' reference pressures are shifted by one common amount so that the pressure of the
node feeding the outlets, P₀ with Σᵢ (P₀ − P_ref,i) / Rᵢ = Q, equals the systolic aortic
pressure: the scenario's 0D result ``aortic_systolic_mmhg`` (or that of the scenario it
derives from), else a flat ``systolic_mmhg``, else the default. A common shift changes the
pressure field by a constant and nothing else (the velocities, the split and every pressure
difference stay as they are); the output says it was applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from twindesk.errors import InputError
from twindesk.sim.flow.domain import Region
from twindesk.sim.flow.post import PA_PER_MMHG

DEFAULT_CO_L_MIN = 5.0
DEFAULT_MAP_MMHG = 93.0
SYSTOLIC_FRACTION = 0.33
DEFAULT_SYSTOLIC_MMHG = 120.0
M3S_PER_LMIN = 1e-3 / 60.0


@dataclass
class BoundaryValues:
    inflow_m3_per_s: float
    resistances_pa_s_per_m3: dict[int, float]
    source: str  # "physiology" | "default" | "physiology+default"
    assumptions: list[str] = field(default_factory=list)
    reference_pressure_pa: dict[int, float] = field(default_factory=dict)


def _haemodynamics(phys: dict, scenario: str) -> dict:
    return ((phys.get("results") or {}).get(scenario) or {}).get("haemodynamics") or {}


def _lineage(phys: dict, scenario: str) -> list[str]:
    """``scenario`` and the scenarios it derives from (``from``), nearest first."""
    chain: list[str] = []
    scenarios = phys.get("scenarios") or {}
    name: str | None = scenario
    while name is not None and name not in chain:
        chain.append(name)
        entry = scenarios.get(name) or {}
        name = None if "parameters" in entry else entry.get("from")
    return chain


def _co_l_min(phys: dict, scenario: str, notes: list[str]) -> tuple[float, bool]:
    scenarios = phys.get("scenarios") or {}
    # A variant made by ``twindesk scenario add`` (a device, a changed heart rate) keeps the
    # cardiac output of the scenario it derives from unless it sets its own or was run.
    for name in _lineage(phys, scenario):
        entry = scenarios.get(name) or {}
        for value in ((entry.get("targets") or {}).get("cardiac_output_l_min"),
                      _haemodynamics(phys, name).get("cardiac_output_l_min")):
            if value is not None:
                if name != scenario:
                    notes.append(f"cardiac output {float(value):.2f} L/min taken from "
                                 f"scenario '{name}' ('{scenario}' derives from it)")
                return float(value), True
    if phys.get("cardiac_output_l_min") is not None:
        return float(phys["cardiac_output_l_min"]), True
    notes.append(f"cardiac output {DEFAULT_CO_L_MIN} L/min assumed (no calibrated physiology "
                 "or 0D result for this scenario)")
    return DEFAULT_CO_L_MIN, False


def _peak_m3_s(phys: dict, scenario: str, mean_m3_s: float,
               notes: list[str]) -> tuple[float, bool]:
    peak_ml_s = _haemodynamics(phys, scenario).get("peak_aortic_flow_ml_s",
                                                   phys.get("peak_flow_ml_s"))
    if peak_ml_s is not None:
        return float(peak_ml_s) * 1e-6, True
    notes.append("peak systolic flow assumed = mean × π/(2·0.33) (half-sine ejection over a "
                 "third of the cycle)")
    return mean_m3_s * np.pi / (2 * SYSTOLIC_FRACTION), False


def _systolic_mmhg(phys: dict, scenario: str) -> tuple[float, str]:
    for name in _lineage(phys, scenario):
        value = _haemodynamics(phys, name).get("aortic_systolic_mmhg")
        if value is not None:
            return float(value), f"scenario '{name}' 0D result"
    if phys.get("systolic_mmhg") is not None:
        return float(phys["systolic_mmhg"]), "physiology"
    return DEFAULT_SYSTOLIC_MMHG, "default"


def _anchor_to_systole(phys: dict, scenario: str, inflow_m3_s: float, res: dict[int, float],
                       pref: dict[int, float], notes: list[str]) -> None:
    """Shift ``pref`` (in place) so the outlets' feeding node sits at systolic pressure."""
    p_sys_mmhg, origin = _systolic_mmhg(phys, scenario)
    g = {i: 1.0 / r for i, r in res.items()}
    p0 = (inflow_m3_s + sum(g[i] * pref[i] for i in res)) / sum(g.values())
    shift = p_sys_mmhg * PA_PER_MMHG - p0
    for i in pref:
        pref[i] += shift
    notes.append(f"peak flow: outlet pressures anchored to the systolic aortic pressure "
                 f"{p_sys_mmhg:.0f} mmHg ({origin}); the steady resistances alone would put "
                 f"the aorta at {p0 / PA_PER_MMHG:.0f} mmHg, as a steady solve has no "
                 "compliance to take up systolic flow (a common shift: velocities, split and "
                 "pressure drops are unchanged)")


def _outlet_records(doc: dict, phys: dict, outlets: list[Region], scenario: str) -> list[dict]:
    """Per-outlet records with SI resistances: from the 0D model when calibrated, else the
    flat ``physiology["outlets"]`` list."""
    if phys.get("calibrations") or phys.get("scenarios"):
        try:
            from twindesk.sim.lumped.store import outlet_bcs  # circulation room, when present
        except ImportError:
            outlet_bcs = None
        if outlet_bcs is not None:
            return outlet_bcs(doc, [r.to_meta() for r in outlets], scenario)
    return list(phys.get("outlets") or [])


def boundary_values(doc: dict, outlets: list[Region], flow: str,
                    scenario: str = "baseline") -> BoundaryValues:
    """Inflow (m³/s), steady outlet resistances (Pa·s/m³) and reference pressures (Pa) for
    ``flow`` 'mean' or 'peak' of ``scenario``."""
    if flow not in ("mean", "peak"):
        raise InputError(f"--flow {flow}: unknown", "use mean or peak")
    phys = doc.get("physiology") or {}
    scenarios = phys.get("scenarios") or {}
    if scenario != "baseline" and scenario not in scenarios:
        raise InputError(f"--scenario: unknown scenario '{scenario}'",
                         f"choose one of: {', '.join(['baseline'] + sorted(scenarios))}")
    notes: list[str] = []
    co, co_phys = _co_l_min(phys, scenario, notes)
    if not co > 0:
        raise InputError(f"cardiac output {co} L/min must be positive",
                         "recalibrate the physiology")
    mean = co * M3S_PER_LMIN
    inflow, flow_phys = ((mean, co_phys) if flow == "mean"
                         else _peak_m3_s(phys, scenario, mean, notes))
    res: dict[int, float] = {}
    pref: dict[int, float] = {}
    records = _outlet_records(doc, phys, outlets, scenario)
    for r in outlets:
        entry = next((e for e in records if e.get("region_id") == r.id
                      or (e.get("region_id") is None and e.get("name") == r.name)), None)
        if entry:
            vals = [float(v) for k, v in entry.items() if k.endswith("_pa_s_per_m3")]
            if vals and sum(vals) > 0:
                res[r.id] = sum(vals)
                pref[r.id] = float(entry.get("pd_pa", 0.0))
    missing = [r for r in outlets if r.id not in res]
    if missing:
        map_pa = float(phys.get("mean_arterial_pressure_mmhg", DEFAULT_MAP_MMHG)) * PA_PER_MMHG
        r_total = map_pa / mean
        weights = {r.id: max(r.area_mm2, 1e-9) ** 1.5 for r in outlets}
        wsum = sum(weights.values())
        for r in missing:
            res[r.id] = r_total * wsum / weights[r.id]
            pref[r.id] = 0.0
        notes.append(f"outlet resistances of {', '.join(r.name for r in missing)} assumed: "
                     f"MAP {map_pa / PA_PER_MMHG:.0f} mmHg / CO split by area^1.5 (Murray)")
    if flow == "peak" and res:
        _anchor_to_systole(phys, scenario, inflow, res, pref, notes)
    any_phys = co_phys or flow_phys or len(missing) < len(outlets)
    used_default = not co_phys or not flow_phys or bool(missing)
    source = ("physiology" if any_phys and not used_default else
              "default" if not any_phys else "physiology+default")
    return BoundaryValues(inflow, res, source, notes, pref)
