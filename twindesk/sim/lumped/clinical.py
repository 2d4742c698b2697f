"""Clinical measurements in, central (aortic) targets out; body surface area.

Cuff pressure is **brachial**. Mean and diastolic pressure change little from the aortic
root to the brachial artery, while systolic pressure is amplified on the way (Pauca,
O'Rourke & Kon, Hypertension 2001;38:932–937). The calibration therefore uses

* central diastolic pressure = brachial DBP,
* central mean pressure = DBP + 0.4·(SBP − DBP) (the 40 % form factor of Bos et al.,
  J Hypertens 2007;25:751–755, who found it closer to the true brachial mean than the
  traditional one third),

and does **not** take the brachial SBP as the aortic systolic pressure: the central systolic
pressure is a *prediction* of the calibrated model (its pulse pressure follows from the
compliance that reproduces the mean and diastolic pressure).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from twindesk.errors import InputError

#: Brachial mean-pressure form factor (Bos et al. 2007).
MAP_FORM_FACTOR = 0.4

CENTRAL_PRESSURE_RULE = (
    "central DBP = brachial DBP; central mean = DBP + 0.4·(SBP − DBP) (Bos et al., J Hypertens "
    "2007;25:751–755; mean and diastolic pressure are nearly preserved from aorta to brachial "
    "artery, Pauca et al., Hypertension 2001;38:932–937); central SBP is predicted by the "
    "calibrated model, not taken from the cuff")


@dataclass(frozen=True)
class ClinicalData:
    """What the clinic measured (clinical units); ``None`` = not measured."""

    sbp_mmhg: float | None = None
    dbp_mmhg: float | None = None
    hr_bpm: float | None = None
    co_l_min: float | None = None
    mean_gradient_mmhg: float | None = None
    height_cm: float | None = None
    weight_kg: float | None = None

    def given(self) -> dict[str, float]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def replace(self, **changes: Any) -> ClinicalData:
        return ClinicalData(**{**asdict(self), **changes})


FLAGS = {"sbp_mmhg": "--sbp", "dbp_mmhg": "--dbp", "hr_bpm": "--hr", "co_l_min": "--co-l-min",
         "mean_gradient_mmhg": "--mean-gradient-mmhg", "height_cm": "--height-cm",
         "weight_kg": "--weight-kg"}
HAEMODYNAMIC = ("sbp_mmhg", "dbp_mmhg", "hr_bpm", "co_l_min", "mean_gradient_mmhg")
_RANGES = {"sbp_mmhg": (50, 300), "dbp_mmhg": (20, 200), "hr_bpm": (20, 220),
           "co_l_min": (0.5, 20), "mean_gradient_mmhg": (0.5, 150), "height_cm": (50, 250),
           "weight_kg": (10, 400)}


def check(data: ClinicalData) -> ClinicalData:
    """Refuse implausible numbers (a wrong unit, a typo) naming the flag."""
    for f in fields(data):
        v = getattr(data, f.name)
        if v is None:
            continue
        lo, hi = _RANGES[f.name]
        if not math.isfinite(v) or not lo <= v <= hi:
            raise InputError(f"{FLAGS[f.name]} {v:g} is outside the plausible range {lo}–{hi}",
                             "check the number and its unit (the flag names the unit)")
    if data.sbp_mmhg is not None and data.dbp_mmhg is not None \
            and data.sbp_mmhg <= data.dbp_mmhg:
        raise InputError(f"--sbp {data.sbp_mmhg:g} must be above --dbp {data.dbp_mmhg:g}",
                         "swap the numbers if they were entered the wrong way round")
    return data


def central_mean_mmhg(sbp_mmhg: float, dbp_mmhg: float) -> float:
    return dbp_mmhg + MAP_FORM_FACTOR * (sbp_mmhg - dbp_mmhg)


def bsa_mosteller_m2(height_cm: float, weight_kg: float) -> float:
    """Body surface area (m²) by Mosteller: √(height·weight/3600).

    Mosteller RD. Simplified calculation of body-surface area. N Engl J Med 1987;317:1098.
    """
    return math.sqrt(height_cm * weight_kg / 3600.0)


def latest_vitals(clinical: dict[str, Any]) -> tuple[ClinicalData, str] | None:
    """The latest value of each vital attached to the twin (``case.doc["clinical"]``).

    Reads ``clinical["vitals"]``: a list of records holding any of the :class:`ClinicalData`
    keys and a ``time_utc`` (ISO 8601); for each key the record with the latest time wins.
    Returns ``None`` when nothing usable is attached.
    """
    records = clinical.get("vitals") if isinstance(clinical, dict) else None
    if not isinstance(records, list):
        return None
    latest: dict[str, tuple[str, float]] = {}
    for rec in records:
        if not isinstance(rec, dict):
            continue
        when = str(rec.get("time_utc", ""))
        for key in FLAGS:
            value = rec.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                if key not in latest or when >= latest[key][0]:
                    latest[key] = (when, float(value))
    if not any(k in latest for k in HAEMODYNAMIC):
        return None
    times = sorted({t for t, _ in latest.values() if t})
    label = f"vitals attached to the twin (latest {times[-1]})" if times else \
        "vitals attached to the twin"
    return ClinicalData(**{k: v for k, (_, v) in latest.items()}), label
