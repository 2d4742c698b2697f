"""Predicted vs observed: what the twin predicted (with its interval) against what was
later measured.

A prediction ``{"id", "quantity", "value", "low", "high", "unit", "interval", "source",
"created_utc", "valid_from_utc", "observed"}`` lives in ``case.doc["twin"]["predictions"]``.
It is paired with the first observation of the same quantity measured at or after
``valid_from_utc`` (e.g. the procedure date; default: when the prediction was made);
``observed`` then holds ``{"value", "time_utc", "source", "error", "abs_error",
"relative_error", "inside_interval"}`` (error = observed − predicted, in the unit).

Quantities are the clinical keys of :mod:`twindesk.io.clinical.units` (unit in the name);
post-procedure device diameters measured on a follow-up CT enter as ``device_diameter_mm``
observations.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from twindesk.errors import InputError
from twindesk.io.clinical.units import QUANTITIES, convert, normalise_unit

#: 0D calibration prediction keys → the clinical quantity they can be checked against.
#: Central (aortic) diastolic pressure is compared with cuff diastolic pressure because
#: the calibration takes central DBP = brachial DBP (see twindesk.sim.lumped.clinical).
CALIBRATION_OBSERVABLES = {"mean_gradient_mmhg": "mean_gradient_mmhg",
                           "cardiac_output_l_min": "co_l_min",
                           "peak_velocity_m_s": "peak_velocity_m_s",
                           "aortic_diastolic_mmhg": "dbp_mmhg"}


def predictions(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return (doc.setdefault("twin", {})).setdefault("predictions", [])


def record_prediction(case, quantity: str, value: float, low: float, high: float, unit: str,
                      source: str, *, interval: float | None = 0.95,
                      valid_from_utc: str | None = None) -> dict[str, Any]:
    """Add a prediction (converted to the quantity's canonical unit) and pair it with an
    observation already attached, if one fits. Changes ``case.doc`` only."""
    from twindesk.io.artifacts import now_utc

    q = QUANTITIES.get(quantity)
    if q is None:
        raise InputError(f"--quantity: unknown quantity '{quantity}'",
                         f"use one of: {', '.join(sorted(QUANTITIES))}")
    vals = [convert(q, float(x), unit, f"prediction of {quantity}") for x in (value, low, high)]
    if not vals[1] <= vals[0] <= vals[2]:
        raise InputError(f"prediction of {quantity}: the interval [{low:g}, {high:g}] does "
                         f"not contain the value {value:g}", "give low <= value <= high")
    preds = predictions(case.doc)
    rec = {"id": f"p{len(preds) + 1}", "quantity": quantity, "value": vals[0], "low": vals[1],
           "high": vals[2], "unit": q.unit, "unit_as_given": normalise_unit(unit),
           "interval": interval, "source": source, "created_utc": now_utc(),
           "valid_from_utc": valid_from_utc, "observed": None}
    preds.append(rec)
    match_predictions(case.doc)
    return rec


def predictions_from_calibration(case, valid_from_utc: str | None = None) -> list[dict[str, Any]]:
    """Record the latest 0D calibration's predictions of observable quantities."""
    cals = (case.doc.get("physiology") or {}).get("calibrations") or []
    if not cals:
        raise InputError("the twin has no 0D calibration to take predictions from",
                         "run 'twindesk calibrate CASE' first")
    cal = cals[-1]
    out = []
    for key, quantity in CALIBRATION_OBSERVABLES.items():
        p = (cal.get("predictions") or {}).get(key)
        if not p or p.get("low") is None:
            continue
        unit = QUANTITIES[quantity].unit
        out.append(record_prediction(case, quantity, p["value"], p["low"], p["high"], unit,
                                     f"0D calibration {cal.get('id')}",
                                     interval=(cal.get("uncertainty") or {}).get("interval"),
                                     valid_from_utc=valid_from_utc))
    return out


def match_predictions(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Pair every open prediction with its observation; returns the newly paired ones."""
    obs = sorted((doc.get("clinical") or {}).get("observations", []),
                 key=lambda o: o["time_utc"])
    matched = []
    for p in (doc.get("twin") or {}).get("predictions", []):
        if p.get("observed"):
            continue
        start = p.get("valid_from_utc") or p["created_utc"]
        o = next((o for o in obs if o["quantity"] == p["quantity"] and o["time_utc"] >= start),
                 None)
        if o is None:
            continue
        err = o["value"] - p["value"]
        p["observed"] = {"value": o["value"], "time_utc": o["time_utc"], "source": o.get("source"),
                         "error": err, "abs_error": abs(err),
                         "relative_error": err / p["value"] if p["value"] else None,
                         "inside_interval": p["low"] <= o["value"] <= p["high"]}
        matched.append(p)
    return matched


def summarize(preds: list[dict[str, Any]]) -> dict[str, Any]:
    """Per quantity: n, mean error (bias), mean absolute error, RMSE, mean |relative error|
    and interval coverage (fraction of observations inside the predicted interval)."""
    by_q: dict[str, list[dict[str, Any]]] = {}
    for p in preds:
        if p.get("observed"):
            by_q.setdefault(p["quantity"], []).append(p)
    out = {}
    for q, ps in sorted(by_q.items()):
        errs = [p["observed"]["error"] for p in ps]
        rel = [abs(p["observed"]["relative_error"]) for p in ps
               if p["observed"]["relative_error"] is not None]
        out[q] = {"n": len(ps), "unit": ps[0]["unit"], "bias": sum(errs) / len(errs),
                  "mae": sum(abs(e) for e in errs) / len(errs),
                  "rmse": math.sqrt(sum(e * e for e in errs) / len(errs)),
                  "mean_abs_relative_error": sum(rel) / len(rel) if rel else None,
                  "coverage": sum(p["observed"]["inside_interval"] for p in ps) / len(ps)}
    return out


def case_accuracy(doc: dict[str, Any]) -> dict[str, Any]:
    preds = list((doc.get("twin") or {}).get("predictions", []))
    return {"n_predictions": len(preds), "n_observed": sum(bool(p.get("observed")) for p in preds),
            "by_quantity": summarize(preds), "predictions": preds}


def cohort_accuracy(folder: Path) -> dict[str, Any]:
    """Accuracy of every twin (case folder) directly inside ``folder``, and pooled."""
    from twindesk.model.case import Case, is_case_dir

    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"--cohort {folder}: not a folder", "give the folder holding the cases")
    cases, pooled = [], []
    for path in sorted(p for p in folder.iterdir() if is_case_dir(p)):
        with Case.open(path, write=False) as case:
            acc = case_accuracy(case.doc)
        pooled += acc["predictions"]
        cases.append({"case": str(path), "n_predictions": acc["n_predictions"],
                      "n_observed": acc["n_observed"], "by_quantity": acc["by_quantity"]})
    return {"folder": str(folder), "n_cases": len(cases), "cases": cases,
            "n_predictions": len(pooled), "n_observed": sum(bool(p.get("observed")) for p in pooled),
            "by_quantity": summarize(pooled)}
