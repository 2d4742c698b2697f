"""Recalibration: new vitals refit the 0D model; the twin keeps old and new parameters.

The 0D room appends every calibration to ``physiology.calibrations`` (never replaced);
here a recalibration is also a twin version, so the state before and after can be compared
(``twindesk twin diff``) or restored (``twindesk twin revert``); the calibration job
records that version itself.
"""

from __future__ import annotations

from typing import Any

from twindesk.errors import InputError


def _fitted_values(cal: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    return {k: {"value": p.get("value"), "unit": p.get("unit"), "source": p.get("source")}
            for k, p in ((cal or {}).get("fitted") or {}).items()}


def recalibrate(case, n_samples: int = 300, seed: int = 12345, progress=None,
                cancel=None) -> dict[str, Any]:
    """Refit the 0D model of an open, writable case to the latest attached vitals, record a
    ``calibration`` version and return old and new parameters side by side."""
    from twindesk.model.versions import ensure_baseline
    from twindesk.sim.lumped.clinical import ClinicalData
    from twindesk.sim.lumped.jobs import calibrate_case
    from twindesk.sim.lumped.uq import UQSettings

    if not (case.doc.get("clinical") or {}).get("vitals"):
        raise InputError("the twin has no attached vitals to recalibrate to",
                         "attach them first: twindesk twin add CASE VITALS.csv")
    ensure_baseline(case)
    cals = (case.doc.get("physiology") or {}).get("calibrations") or []
    previous = dict(cals[-1]) if cals else None
    result = calibrate_case(case, ClinicalData(), UQSettings(n_samples=n_samples, seed=seed),
                            progress, cancel)
    new = case.doc["physiology"]["calibrations"][-1]
    old_values, new_values = _fitted_values(previous), _fitted_values(new)
    changes = []
    for key, nv in new_values.items():
        ov = old_values.get(key, {}).get("value")
        n = nv["value"]
        changes.append({"parameter": key, "unit": nv["unit"], "old": ov, "new": n,
                        "change_pct": (100.0 * (n - ov) / ov) if ov and n is not None else None,
                        "source": nv["source"]})
    version = case.doc["twin"]["versions"][-1]  # recorded by the calibration itself
    return {"case": str(case.path), "calibration_id": result["calibration_id"],
            "previous_calibration_id": previous.get("id") if previous else None,
            "targets": result["targets"], "parameters": changes,
            "reproduced": result["reproduced"], "predictions": result["predictions"],
            "version": version}
