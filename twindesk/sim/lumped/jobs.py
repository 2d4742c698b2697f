"""0D simulation and calibration of a case, as jobs (``run(params, progress, cancel)``).

:func:`simulate_case` and :func:`calibrate_case` work on an open, writable
:class:`~twindesk.model.case.Case`, store their artefacts and results in it and commit with
``case.save``; :func:`run_simulate0d` / :func:`run_calibrate` open the case themselves.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twindesk.errors import InputError, SolverError
from twindesk.jobs import CancelToken, ProgressReporter
from twindesk.model.versions import record_version
from twindesk.sim.lumped import uq
from twindesk.sim.lumped.calibration import RP_FRACTION, calibrate, reproduced_table
from twindesk.sim.lumped.clinical import (CENTRAL_PRESSURE_RULE, FLAGS, HAEMODYNAMIC,
                                          ClinicalData, bsa_mosteller_m2, check, latest_vitals)
from twindesk.sim.lumped.fast import gorlin_eoa_cm2
from twindesk.sim.lumped.haemodynamics import UNITS, summarize
from twindesk.sim.lumped.params import DEFAULTS_CLINICAL, to_clinical
from twindesk.sim.lumped.periodic import PERIODICITY_TOLERANCE, solve_periodic
from twindesk.sim.lumped.store import (BASELINE, add_calibration, latest_calibration,
                                       physiology, resolve_scenario)


def _now() -> str:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _periodicity(sol) -> dict[str, Any]:
    return {"cycle_to_cycle_change": sol.cycle_to_cycle_change,
            "tolerance": PERIODICITY_TOLERANCE, "periodic": sol.periodic,
            "newton_iterations": sol.newton_iterations,
            "cycle_integrations": sol.cycle_integrations}


# ---------------------------------------------------------------------------- simulate0d
@dataclass(frozen=True)
class Simulate0DParams:
    case_path: Path
    scenario: str = BASELINE
    samples_per_cycle: int = 1000


def simulate_case(case, scenario: str = BASELINE, samples_per_cycle: int = 1000,
                  progress=None, cancel: CancelToken | None = None) -> dict[str, Any]:
    """Run scenario ``scenario`` of an open case to its periodic state and store the result."""
    from twindesk.sim.lumped.plots import write_csv, write_png

    rep = ProgressReporter(progress, cancel=cancel)
    t0 = time.perf_counter()
    rep(0.0, "solving the 0D model")
    c, info = resolve_scenario(case.doc, scenario)
    co_target = info.get("cardiac_output_target_l_min")
    if co_target is not None:
        # Refit only the filling volume so the scenario delivers its cardiac output target.
        cal = calibrate(ClinicalData(co_l_min=co_target), c)
        c, sol = cal.circulation, solve_periodic(cal.circulation, samples_per_cycle,
                                                 cal.solution.state0)
    else:
        sol = solve_periodic(c, samples_per_cycle)
    if not sol.periodic:
        raise SolverError(f"the 0D model is not periodic (cycle-to-cycle change "
                          f"{100 * sol.cycle_to_cycle_change:.3f} % ≥ 0.1 %)",
                          "check the scenario's parameters")
    rep(0.6, "writing waveforms")
    summary = summarize(c, sol.waveforms)
    title = f"0D model, scenario '{scenario}' ({info['parameters_source']})"
    keys = {"waveforms": f"result:0d-waveforms:{scenario}", "plot": f"result:0d-plot:{scenario}"}
    case.put_artifact(keys["waveforms"], lambda p: write_csv(sol.waveforms, p), ".csv",
                      "table", {"scenario": scenario, "columns_units": "in column names"})
    case.put_artifact(keys["plot"], lambda p: write_png(sol.waveforms, p, title), ".png", "plot",
                      {"scenario": scenario})
    phys = physiology(case.doc)
    phys["results"][scenario] = {"time_utc": _now(), "haemodynamics": summary,
                                 "artifacts": keys, "parameters": to_clinical(c)}
    case.doc["physiology"] = phys
    record_version(case, "simulation", f"0D scenario '{scenario}' simulated",
                   {"scenario": scenario})
    case.save("simulate0d", {"scenario": scenario})
    rep(1.0, "done")
    return {"case": str(case.path), **info, "parameters": to_clinical(c),
            "haemodynamics": summary, "units": {k: UNITS[k] for k in summary},
            "periodicity": _periodicity(sol), "artifacts": keys,
            "seconds": time.perf_counter() - t0}


def run_simulate0d(params: Simulate0DParams, progress=None, cancel=None) -> dict[str, Any]:
    from twindesk.model.case import Case

    with Case.open(params.case_path, write=True, require_write=True) as case:
        return simulate_case(case, params.scenario, params.samples_per_cycle, progress, cancel)


# ----------------------------------------------------------------------------- calibrate
@dataclass(frozen=True)
class CalibrateParams:
    case_path: Path
    data: ClinicalData = ClinicalData()
    uq: uq.UQSettings = field(default_factory=uq.UQSettings)


#: Reported parameters: key → (unit, fitted-parameter name or rule/population marker).
_PARAMETERS: dict[str, tuple[str, str]] = {
    "total_resistance_mmhg_s_per_ml": ("mmHg·s/ml", "total_resistance"),
    "rp_mmhg_s_per_ml": ("mmHg·s/ml", "rule"),
    "rd_mmhg_s_per_ml": ("mmHg·s/ml", "rule"),
    "c_ml_per_mmhg": ("ml/mmHg", "compliance"),
    "aortic_eoa_cm2": ("cm²", "aortic_eoa"),
    "aortic_eoa_index_cm2_per_m2": ("cm²/m²", "aortic_eoa"),
    "stressed_volume_ml": ("ml", "stressed_volume"),
    "heart_rate_bpm": ("bpm", "measured"),
    "lv_emax_mmhg_per_ml": ("mmHg/ml", "population"),
    "lv_emin_mmhg_per_ml": ("mmHg/ml", "population"),
    "lv_v0_ml": ("ml", "population"),
    "mitral_resistance_mmhg_s_per_ml": ("mmHg·s/ml", "population"),
    "venous_compliance_ml_per_mmhg": ("ml/mmHg", "population"),
    "aorta_area_cm2": ("cm²", "population"),
}
_NOT_IDENTIFIABLE_BECAUSE = {
    "lv_emax_mmhg_per_ml": "needs LV pressure–volume data (e.g. echo volumes with pressures)",
    "lv_emin_mmhg_per_ml": "needs LV pressure–volume data (end-diastolic pressure and volume)",
    "lv_v0_ml": "needs LV pressure–volume data at several loads",
    "mitral_resistance_mmhg_s_per_ml": "needs mitral inflow Doppler with filling pressure",
    "venous_compliance_ml_per_mmhg": "needs venous/atrial pressures at several volumes",
    "aorta_area_cm2": "comes from anatomy (sinotubular junction area), not from vitals",
}
_PREDICTIONS = ("aortic_systolic_mmhg", "aortic_diastolic_mmhg", "aortic_mean_mmhg",
                "aortic_pulse_pressure_mmhg", "lv_systolic_mmhg", "lv_end_diastolic_mmhg",
                "mean_gradient_mmhg", "peak_gradient_mmhg", "net_mean_gradient_mmhg",
                "peak_velocity_m_s", "stroke_volume_ml", "cardiac_output_l_min",
                "ejection_fraction_pct", "end_diastolic_volume_ml", "end_systolic_volume_ml")


def resolve_data(case, data: ClinicalData) -> tuple[ClinicalData, str]:
    """The measurements to fit: the command's numbers, else the twin's latest vitals."""
    if any(getattr(data, k) is not None for k in HAEMODYNAMIC):
        return check(data), "command line"
    attached = latest_vitals(case.doc.get("clinical", {}))
    if attached is None:
        raise InputError("no measurements to calibrate to: missing "
                         + ", ".join(FLAGS[k] for k in HAEMODYNAMIC),
                         "give at least one of them (e.g. --sbp 140 --dbp 80 --hr 70 "
                         "--co-l-min 5), or attach vitals to the twin first")
    vitals, label = attached
    # Body size given on the command line complements the attached vitals.
    vitals = vitals.replace(**{k: getattr(data, k) for k in ("height_cm", "weight_kg")
                               if getattr(data, k) is not None})
    return check(vitals), label


def calibrate_case(case, data: ClinicalData, settings: uq.UQSettings | None = None,
                   progress=None, cancel: CancelToken | None = None) -> dict[str, Any]:
    """Calibrate the baseline of an open case to ``data`` and store it (see the module doc)."""
    settings = settings or uq.UQSettings()
    rep = ProgressReporter(progress, cancel=cancel)
    t0 = time.perf_counter()
    data, source = resolve_data(case, data)
    prior, prior_info = resolve_scenario(case.doc, BASELINE)
    prev = latest_calibration(case.doc)
    prior_label = f"previous calibration {prev['id']}" if prev else "population default"
    rep(0.05, "fitting the closed loop")
    cal = calibrate(data, prior)
    rep(0.4, "sampling measurement errors")
    dev = uq.sample(cal, data, settings, rep.sub(0.4, 0.9))
    rep(0.9, "storing")
    bsa = (bsa_mosteller_m2(data.height_cm, data.weight_kg)
           if data.height_cm is not None and data.weight_kg is not None else None)
    values = to_clinical(cal.circulation)
    values["total_resistance_mmhg_s_per_ml"] = (values["rp_mmhg_s_per_ml"]
                                                + values["rd_mmhg_s_per_ml"])
    if bsa is not None:
        values["aortic_eoa_index_cm2_per_m2"] = values["aortic_eoa_cm2"] / bsa
    parameters = {key: _parameter_entry(key, unit, kind, values, dev, cal, data, prior_label,
                                        bsa, settings.interval)
                  for key, (unit, kind) in _PARAMETERS.items()}
    predictions = {k: uq.interval(cal.summary[k], dev[k], UNITS[k], settings.interval)
                   for k in _PREDICTIONS if k in dev}
    reproduced = reproduced_table(cal)
    summary = cal.summary
    gorlin = (gorlin_eoa_cm2(summary["stroke_volume_ml"], summary["ejection_time_ms"] / 1000.0,
                             data.mean_gradient_mmhg)
              if data.mean_gradient_mmhg is not None else None)
    targets = {"source": source, "measured": data.given(),
               "central_mean_mmhg": cal.targets.mean_mmhg,
               "central_diastolic_mmhg": cal.targets.diastolic_mmhg,
               "cardiac_output_l_min": cal.targets.cardiac_output_l_min,
               "mean_gradient_mmhg": cal.targets.mean_gradient_mmhg,
               "heart_rate_bpm": cal.targets.heart_rate_bpm,
               "central_pressure_rule": CENTRAL_PRESSURE_RULE}
    uncertainty = {"method": "seeded Monte Carlo over measurement errors; fast model "
                             "(analytic RCR + Bernoulli valve on the calibrated ejection "
                             "waveform) for arterial and valve values, linearised closed loop "
                             "for stressed volume and ventricular values",
                   "n_samples": settings.n_samples, "seed": settings.seed,
                   "interval": settings.interval,
                   "errors_one_sd": {"cuff_mmhg": settings.errors.cuff_sd_mmhg,
                                     "cardiac_output_fraction": settings.errors.co_sd_fraction,
                                     "mean_gradient_fraction":
                                         settings.errors.gradient_sd_fraction}}
    record = {"time_utc": _now(), "source": source, "data": data.given(), "targets": targets,
              "fitted": parameters, "reproduced": reproduced, "predictions": predictions,
              "bsa_m2": bsa, "gorlin_eoa_cm2": gorlin,
              "venous_mean_mmhg": summary["venous_mean_mmhg"], "uncertainty": uncertainty,
              "prior": prior_info["parameters_source"]}
    cal_id = add_calibration(case.doc, record, to_clinical(cal.circulation))
    samples_key = f"result:calibration-samples:{cal_id}"
    case.put_json(samples_key, {k: [float(x) for x in v] for k, v in dev.items()}, "table",
                  {"calibration_id": cal_id, "meaning": "deviations from the nominal fit"})
    physiology(case.doc)["calibrations"][-1]["samples_artifact"] = samples_key
    record_version(case, "calibration", f"0D model calibrated ({cal_id}) to {source}",
                   {"calibration_id": cal_id, "source": source, **data.given()})
    case.save("calibrate", {"calibration_id": cal_id, "source": source, **data.given()})
    rep(1.0, "done")
    return {"case": str(case.path), "calibration_id": cal_id, "targets": targets,
            "parameters": parameters, "reproduced": reproduced, "predictions": predictions,
            "bsa_m2": bsa, "gorlin_eoa_cm2": gorlin, "uncertainty": uncertainty,
            "iterations": cal.iterations, "periodicity": _periodicity(cal.solution),
            "artifacts": {"samples": samples_key}, "seconds": time.perf_counter() - t0}


def _parameter_entry(key, unit, kind, values, dev, cal, data, prior_label, bsa, level):
    value = values.get(key)
    if value is None:  # indexed EOA without height/weight
        return {"value": None, "low": None, "high": None, "unit": unit, "identifiable": False,
                "source": "not available",
                "reason": "needs body surface area (--height-cm and --weight-kg)"}
    entry: dict[str, Any]
    if kind in cal.identifiable:
        ok, reason = cal.identifiable[kind]
        if ok:
            entry = {**uq.interval(value, dev[key], unit, level), "identifiable": True,
                     "source": "fitted"}
        else:
            entry = {"value": value, "low": None, "high": None, "unit": unit,
                     "identifiable": False, "source": prior_label, "reason": reason}
    elif kind == "rule":
        fitted = cal.identifiable["total_resistance"][0]
        bounds = uq.interval(value, dev[key], unit, level) if fitted else \
            {"value": value, "low": None, "high": None, "unit": unit}
        entry = {**bounds, "identifiable": False, "source": "rule",
                 "reason": f"proximal/distal split by rule: Rp = {100 * RP_FRACTION:.0f} % of "
                           "the total resistance (Westerhof et al., Med Biol Eng Comput "
                           "2009;47:131–141), not fitted"}
    elif kind == "measured":
        measured = data.hr_bpm is not None
        entry = {"value": value, "low": None, "high": None, "unit": unit,
                 "identifiable": measured, "source": "measured" if measured else prior_label}
        if not measured:
            entry["reason"] = "heart rate not given (--hr)"
    else:
        default = DEFAULTS_CLINICAL.get(key)
        entry = {"value": value, "low": None, "high": None, "unit": unit, "identifiable": False,
                 "source": "population default" if value == default else prior_label,
                 "reason": _NOT_IDENTIFIABLE_BECAUSE.get(key, "not determined by these "
                                                                     "measurements")}
    return entry


def run_calibrate(params: CalibrateParams, progress=None, cancel=None) -> dict[str, Any]:
    from twindesk.model.case import Case

    with Case.open(params.case_path, write=True, require_write=True) as case:
        return calibrate_case(case, params.data, params.uq, progress, cancel)
