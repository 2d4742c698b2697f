"""Inflow and outlet resistances for a case: from the calibrated physiology when present,
otherwise documented defaults.

Physiology (``case.doc["physiology"]``, written by the circulation model in
:mod:`twindesk.sim.lumped`) is read defensively: cardiac output from
``cardiac_output_l_min`` (or ``co_l_min``), peak systolic flow from
``peak_flow_m3_per_s`` / ``peak_flow_ml_s``, and per-outlet RCR values from
``physiology["outlets"]`` (entries matched by ``region_id`` or ``name``); the steady
resistance of an outlet is the sum of its ``*_pa_s_per_m3`` values (proximal + distal: the
capacitance carries no steady flow). Missing items fall back to the defaults below, and the
output says which values were assumed.

Defaults
--------
* Cardiac output 5.0 L/min at rest (Guyton & Hall, *Textbook of Medical Physiology*, 14th
  ed., ch. 20).
* Mean arterial pressure 93 mmHg (diastolic 80 + (systolic 120 − 80)/3) and a distal
  (venous) reference pressure 0, so the total peripheral resistance is MAP / CO.
* That resistance is split between outlets so that flow divides as area^1.5 (Murray's law,
  Murray CD, PNAS 1926;12:207–214: flow ∝ radius³).
* Peak systolic flow = mean flow × π / (2 × 0.33): a half-sine ejection lasting a third of
  the cycle carries the whole stroke volume (≈ 24 L/min at CO 5 L/min).
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
M3S_PER_LMIN = 1e-3 / 60.0


@dataclass
class BoundaryValues:
    inflow_m3_per_s: float
    resistances_pa_s_per_m3: dict[int, float]
    source: str  # "physiology" | "default" | "physiology+default"
    assumptions: list[str] = field(default_factory=list)


def _co_l_min(phys: dict, scenario: dict, notes: list[str]) -> tuple[float, bool]:
    for key in ("co_l_min", "cardiac_output_l_min"):
        if key in scenario:
            return float(scenario[key]), True
    for key in ("cardiac_output_l_min", "co_l_min"):
        if key in phys:
            return float(phys[key]), True
    notes.append(f"cardiac output {DEFAULT_CO_L_MIN} L/min assumed (no calibrated physiology)")
    return DEFAULT_CO_L_MIN, False


def _peak_m3_s(phys: dict, mean_m3_s: float, notes: list[str]) -> tuple[float, bool]:
    if "peak_flow_m3_per_s" in phys:
        return float(phys["peak_flow_m3_per_s"]), True
    if "peak_flow_ml_s" in phys:
        return float(phys["peak_flow_ml_s"]) * 1e-6, True
    notes.append("peak systolic flow assumed = mean × π/(2·0.33) (half-sine ejection over a "
                 "third of the cycle)")
    return mean_m3_s * np.pi / (2 * SYSTOLIC_FRACTION), False


def _outlet_entry(phys: dict, region: Region) -> dict | None:
    for entry in phys.get("outlets") or []:
        if entry.get("region_id") == region.id or entry.get("name") == region.name:
            return entry
    return None


def boundary_values(doc: dict, outlets: list[Region], flow: str,
                    scenario: str = "baseline") -> BoundaryValues:
    """Inflow (m³/s) and steady outlet resistances (Pa·s/m³) for ``flow`` 'mean' or 'peak'."""
    if flow not in ("mean", "peak"):
        raise InputError(f"--flow {flow}: unknown", "use mean or peak")
    phys = doc.get("physiology") or {}
    scen = (doc.get("scenarios") or {}).get(scenario)
    if scen is None and scenario != "baseline":
        raise InputError(f"scenario '{scenario}' is not in this case",
                         "use --scenario baseline or add the scenario first")
    scen = scen or {}
    notes: list[str] = []
    co, co_phys = _co_l_min(phys, scen, notes)
    if not co > 0:
        raise InputError(f"cardiac output {co} L/min must be positive",
                         "recalibrate the physiology")
    mean = co * M3S_PER_LMIN
    inflow, flow_phys = (mean, co_phys) if flow == "mean" else _peak_m3_s(phys, mean, notes)
    res: dict[int, float] = {}
    used_phys = []
    for r in outlets:
        entry = _outlet_entry(phys, r)
        if entry:
            vals = [float(v) for k, v in entry.items() if k.endswith("_pa_s_per_m3")]
            if vals and sum(vals) > 0:
                res[r.id] = sum(vals)
                used_phys.append(r.id)
    missing = [r for r in outlets if r.id not in res]
    if missing:
        map_pa = float(phys.get("mean_arterial_pressure_mmhg", DEFAULT_MAP_MMHG)) * PA_PER_MMHG
        r_total = map_pa / mean
        weights = {r.id: max(r.area_mm2, 1e-9) ** 1.5 for r in outlets}
        wsum = sum(weights.values())
        for r in missing:
            res[r.id] = r_total * wsum / weights[r.id]
        notes.append(f"outlet resistances of {', '.join(r.name for r in missing)} assumed: "
                     f"MAP {map_pa / PA_PER_MMHG:.0f} mmHg / CO split by area^1.5 (Murray)")
    any_phys = co_phys or flow_phys or used_phys
    source = "physiology" if any_phys and not notes else ("default" if not any_phys
                                                           else "physiology+default")
    return BoundaryValues(inflow, res, source, notes)
