"""Clinical quantities, their canonical UCUM units and the alternatives we convert.

Every attached measurement is stored in one canonical unit per quantity, named in the key
(``sbp_mmhg`` is in ``mm[Hg]``). Units are UCUM codes (Unified Code for Units of Measure,
https://ucum.org/ucum): ``mm[Hg]``, ``/min``, ``L/min``, ``cm``, ``[in_i]`` (international
inch), ``kg``, ``[lb_av]`` (avoirdupois pound), ``cm2``, ``m/s`` … A few spellings that
hospital systems send although they are not UCUM (``mmHg``, ``bpm``, ``lb``, ``in``) are
normalised to their UCUM code, and the unit as sent is kept with each observation.

Plausible ranges catch a number in the wrong unit (a height of 1.8 under ``cm``); they are
deliberately wide (adult and paediatric extremes) and never clinical reference ranges.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from twindesk.errors import InputError

# Exact conversion factors (UCUM definitions): 1 mm[Hg] = 133.322 Pa, so 1 kPa =
# 1000/133.322 mm[Hg]; [in_i] = 2.54 cm; [lb_av] = 0.45359237 kg.
_KPA_TO_MMHG = 1000.0 / 133.322387415
# Creatinine molar mass 113.12 g/mol: 1 mg/dL = 88.42 umol/L.
_UMOL_L_PER_MG_DL_CREATININE = 88.42


@dataclass(frozen=True)
class Quantity:
    """One clinical quantity: key (with its unit), canonical UCUM unit, label, accepted units.

    ``units`` maps each accepted UCUM unit to the factor that converts a value in it to the
    canonical unit (value_canonical = value × factor).
    """

    key: str
    base: str
    unit: str
    label: str
    category: str
    units: dict[str, float]
    plausible: tuple[float, float]
    suffixes: dict[str, str]  # CSV header suffix → UCUM unit


def _q(base, suffix, unit, label, category, plausible, alternatives=None):
    units = {unit: 1.0, **{u: f for u, (_, f) in (alternatives or {}).items()}}
    suffixes = {suffix: unit, **{s: u for u, (s, _) in (alternatives or {}).items()}}
    return Quantity(f"{base}_{suffix}", base, unit, label, category, units, plausible, suffixes)


_PRESSURE_ALT = {"kPa": ("kpa", _KPA_TO_MMHG)}
_DIAMETER_ALT = {"cm": ("cm", 10.0)}

QUANTITIES: dict[str, Quantity] = {q.key: q for q in (
    _q("sbp", "mmhg", "mm[Hg]", "Systolic blood pressure (cuff, brachial)", "vital",
       (50, 300), _PRESSURE_ALT),
    _q("dbp", "mmhg", "mm[Hg]", "Diastolic blood pressure (cuff, brachial)", "vital",
       (20, 200), _PRESSURE_ALT),
    _q("map", "mmhg", "mm[Hg]", "Mean arterial pressure", "vital", (30, 250), _PRESSURE_ALT),
    _q("hr", "bpm", "/min", "Heart rate", "vital", (20, 250)),
    _q("co", "l_min", "L/min", "Cardiac output", "echo", (0.5, 20),
       {"mL/min": ("ml_min", 0.001)}),
    _q("height", "cm", "cm", "Body height", "body", (40, 250),
       {"m": ("m", 100.0), "mm": ("mm", 0.1), "[in_i]": ("in", 2.54)}),
    _q("weight", "kg", "kg", "Body weight", "body", (2, 400),
       {"g": ("g", 0.001), "[lb_av]": ("lb", 0.45359237)}),
    _q("mean_gradient", "mmhg", "mm[Hg]", "Aortic valve mean gradient", "echo", (0, 200),
       _PRESSURE_ALT),
    _q("peak_gradient", "mmhg", "mm[Hg]", "Aortic valve peak gradient", "echo", (0, 300),
       _PRESSURE_ALT),
    _q("peak_velocity", "m_s", "m/s", "Aortic valve peak velocity", "echo", (0.2, 8),
       {"cm/s": ("cm_s", 0.01), "mm/s": ("mm_s", 0.001)}),
    _q("valve_area", "cm2", "cm2", "Aortic valve area", "echo", (0.1, 6),
       {"mm2": ("mm2", 0.01)}),
    _q("lvef", "pct", "%", "Left ventricular ejection fraction", "echo", (5, 90)),
    _q("aortic_root_diameter", "mm", "mm", "Aortic root diameter", "imaging", (10, 100),
       _DIAMETER_ALT),
    _q("ascending_aorta_diameter", "mm", "mm", "Ascending aorta diameter", "imaging",
       (10, 100), _DIAMETER_ALT),
    _q("aorta_max_diameter", "mm", "mm", "Maximum aortic diameter (CT, area-derived)",
       "imaging", (10, 100), _DIAMETER_ALT),
    _q("device_diameter", "mm", "mm", "Implanted device diameter", "imaging", (5, 60),
       _DIAMETER_ALT),
    _q("creatinine", "mg_dl", "mg/dL", "Creatinine (serum or plasma)", "lab", (0.05, 25),
       {"umol/L": ("umol_l", 1.0 / _UMOL_L_PER_MG_DL_CREATININE)}),
    _q("hemoglobin", "g_dl", "g/dL", "Hemoglobin (blood)", "lab", (2, 25),
       {"g/L": ("g_l", 0.1)}),
    _q("ntprobnp", "pg_ml", "pg/mL", "NT-proBNP (serum or plasma)", "lab", (0, 200000),
       {"ng/L": ("ng_l", 1.0)}),
)}

BY_BASE: dict[str, Quantity] = {q.base: q for q in QUANTITIES.values()}

#: Non-UCUM spellings seen in hospital exports → the UCUM code they mean.
UNIT_ALIASES: dict[str, str] = {
    "mmhg": "mm[Hg]", "mm hg": "mm[Hg]", "bpm": "/min", "beats/min": "/min",
    "{beats}/min": "/min", "1/min": "/min", "/min": "/min", "min-1": "/min",
    "l/min": "L/min", "lpm": "L/min", "ml/min": "mL/min", "in": "[in_i]", "inch": "[in_i]",
    "[in_us]": "[in_i]", "lb": "[lb_av]", "lbs": "[lb_av]", "kpa": "kPa", "cm^2": "cm2",
    "cm²": "cm2", "mm^2": "mm2", "mm²": "mm2", "percent": "%", "mg/dl": "mg/dL",
    "g/dl": "g/dL", "g/l": "g/L", "umol/l": "umol/L", "µmol/l": "umol/L", "pg/ml": "pg/mL",
    "ng/l": "ng/L", "m/sec": "m/s", "cm/sec": "cm/s",
}


def normalise_unit(unit: str) -> str:
    """The UCUM code for ``unit`` (aliases resolved; UCUM codes returned unchanged)."""
    u = (unit or "").strip()
    return UNIT_ALIASES.get(u.lower(), UNIT_ALIASES.get(u, u))


def accepted_units(q: Quantity) -> str:
    return ", ".join(q.units)


def quantity(key_or_base: str) -> Quantity | None:
    """A quantity by key (``sbp_mmhg``) or base name (``sbp``)."""
    k = (key_or_base or "").strip().lower()
    return QUANTITIES.get(k) or BY_BASE.get(k)


def convert(q: Quantity, value: float, unit: str, where: str) -> float:
    """``value`` in ``unit`` converted to the canonical unit of ``q``; refuses a wrong unit or
    an implausible number (``where`` names file, row and column for the message)."""
    ucum = normalise_unit(unit)
    factor = q.units.get(ucum)
    if factor is None:
        raise InputError(f"{where}: unit '{unit}' is not accepted for {q.label} ({q.key})",
                         f"give it in one of: {accepted_units(q)} (UCUM codes)")
    if not math.isfinite(value):
        raise InputError(f"{where}: value {value} is not a finite number",
                         "fix or remove the value")
    canonical = value * factor
    lo, hi = q.plausible
    if not lo <= canonical <= hi:
        raise InputError(f"{where}: {value:g} {unit} = {canonical:g} {q.unit} is outside the "
                         f"plausible range {lo:g}–{hi:g} {q.unit} for {q.label}",
                         "check the number and its unit (a value in the wrong unit is the "
                         "usual cause)")
    return canonical
