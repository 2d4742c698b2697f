"""Uncertainty of a calibration from measurement errors, by seeded Monte Carlo sampling.

Each sample perturbs the measurements that were given (normal errors, one standard deviation
as in :class:`MeasurementErrors`), refits the identifiable parameters and recomputes the
predictions:

* resistance, compliance, EOA and every arterial/valve prediction with the **fast model**
  (:mod:`twindesk.sim.lumped.fast`, driven by the calibrated ejection waveform — exact for
  the Windkessel, milliseconds per sample);
* the stressed volume and what only the closed loop predicts (ventricular volumes, ejection
  fraction, end-diastolic pressure) by the **closed loop linearised** at the calibration
  (finite-difference sensitivities to the log-parameters, one periodic solve per parameter);
  the stressed volume of a sample is the one that reproduces its cardiac output.

Every value is reported as ``{"value", "low", "high", "unit"}``: ``value`` from the
calibrated closed loop, ``low``/``high`` the central interval (default 95 %) of the samples,
taken as deviations from the unperturbed fast-model fit so that fast-versus-closed-loop
differences do not bias the interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from twindesk.sim.lumped import fast
from twindesk.sim.lumped import units as u
from twindesk.sim.lumped.calibration import (Calibration, Targets, fit_arterial,
                                             log_params, with_log_params)
from twindesk.sim.lumped.clinical import ClinicalData, bsa_mosteller_m2
from twindesk.sim.lumped.haemodynamics import summarize
from twindesk.sim.lumped.periodic import solve_periodic


@dataclass(frozen=True)
class MeasurementErrors:
    """One standard deviation of each measurement's error.

    Defaults: cuff ± 5 mmHg (the AAMI/ISO 81060-2 validation limit for mean error), cardiac
    output ± 10 %, echo mean gradient ± 15 %.
    """

    cuff_sd_mmhg: float = 5.0
    co_sd_fraction: float = 0.10
    gradient_sd_fraction: float = 0.15


@dataclass(frozen=True)
class UQSettings:
    n_samples: int = 300
    seed: int = 12345
    interval: float = 0.95
    errors: MeasurementErrors = MeasurementErrors()


#: Outputs only the closed loop predicts: propagated through its linearisation.
CLOSED_LOOP_ONLY = ("ejection_fraction_pct", "end_diastolic_volume_ml",
                    "end_systolic_volume_ml", "lv_end_diastolic_mmhg")


def perturb(data: ClinicalData, rng: np.random.Generator, err: MeasurementErrors
            ) -> ClinicalData:
    """One sample of the measurements (only those given are perturbed)."""
    ch: dict[str, float] = {}
    if data.sbp_mmhg is not None:
        ch["sbp_mmhg"] = data.sbp_mmhg + rng.normal(0.0, err.cuff_sd_mmhg)
    if data.dbp_mmhg is not None:
        ch["dbp_mmhg"] = data.dbp_mmhg + rng.normal(0.0, err.cuff_sd_mmhg)
        if "sbp_mmhg" in ch and ch["sbp_mmhg"] < ch["dbp_mmhg"] + 5.0:
            ch["sbp_mmhg"] = ch["dbp_mmhg"] + 5.0  # a cuff never reads a pulse below ~5 mmHg
    if data.co_l_min is not None:
        ch["co_l_min"] = data.co_l_min * max(1.0 + rng.normal(0.0, err.co_sd_fraction), 0.2)
    if data.mean_gradient_mmhg is not None:
        ch["mean_gradient_mmhg"] = data.mean_gradient_mmhg * max(
            1.0 + rng.normal(0.0, err.gradient_sd_fraction), 0.05)
    return data.replace(**ch)


def fast_sample(cal: Calibration, data: ClinicalData) -> dict[str, float]:
    """Fitted parameters and predictions of the fast model for one set of measurements."""
    c = cal.circulation
    period = c.heart.heart_period_s
    targets = Targets.from_data(data)
    wk, sv = fit_arterial(cal.shape, targets, cal.identifiable, c.arteries, period,
                          cal.venous_mean_pa)
    if sv is None:
        sv = u.ml_to_m3(cal.summary["stroke_volume_ml"])
    valve = c.valve
    if cal.identifiable["aortic_eoa"][0]:
        eoa = fast.eoa_for_gradient_m2(cal.shape, sv, period,
                                       u.mmhg_to_pa(targets.mean_gradient_mmhg),
                                       valve.blood_density_kg_per_m3)
        valve = replace(valve, eoa_m2=min(eoa, 0.95 * valve.aorta_area_m2))
    out = fast.predictions(cal.shape, wk, valve, sv, period)
    r = wk.total_resistance_pa_s_per_m3 / u.PA_S_PER_M3_PER_MMHG_S_PER_ML
    out.update({"total_resistance_mmhg_s_per_ml": r,
                "rp_mmhg_s_per_ml": wk.rp_pa_s_per_m3 / u.PA_S_PER_M3_PER_MMHG_S_PER_ML,
                "rd_mmhg_s_per_ml": wk.rd_pa_s_per_m3 / u.PA_S_PER_M3_PER_MMHG_S_PER_ML,
                "c_ml_per_mmhg": wk.c_m3_per_pa / u.M3_PER_PA_PER_ML_PER_MMHG,
                "aortic_eoa_cm2": u.m2_to_cm2(valve.eoa_m2)})
    return out


def sensitivities(cal: Calibration, outputs: tuple[str, ...], h: float = 1e-3
                  ) -> dict[str, np.ndarray]:
    """d(output)/d(ln p) of the closed loop for each fitted parameter p (finite differences)."""
    base_x = log_params(cal.circulation, cal.fitted)
    y0 = np.array([cal.summary[o] for o in outputs])
    grads = np.zeros((len(outputs), len(cal.fitted)))
    for j in range(len(cal.fitted)):
        x = base_x.copy()
        x[j] += h
        c = with_log_params(cal.circulation, cal.fitted, x)
        s = summarize(c, solve_periodic(c, x0=cal.solution.state0).waveforms)
        grads[:, j] = (np.array([s[o] for o in outputs]) - y0) / h
    return {o: grads[i] for i, o in enumerate(outputs)}


def sample(cal: Calibration, data: ClinicalData, settings: UQSettings = UQSettings(),
           progress=None) -> dict[str, np.ndarray]:
    """Monte Carlo samples (deviations from the unperturbed fit) of every reported quantity.

    ``progress(fraction, message)`` is called every 25 samples (a job's reporter, which also
    checks for cancellation).
    """
    rng = np.random.default_rng(settings.seed)
    nominal = fast_sample(cal, data)
    lin_outputs = CLOSED_LOOP_ONLY + ("cardiac_output_l_min",)
    grads = sensitivities(cal, lin_outputs) if cal.fitted else {}
    keys = list(nominal) + list(CLOSED_LOOP_ONLY) + ["stressed_volume_ml"]
    if data.height_cm is not None and data.weight_kg is not None:
        keys.append("aortic_eoa_index_cm2_per_m2")
    dev = {k: np.zeros(settings.n_samples) for k in keys}
    s0 = u.m3_to_ml(cal.circulation.stressed_volume_m3)
    for i in range(settings.n_samples):
        if progress is not None and i % 25 == 0:
            progress(i / settings.n_samples, f"uncertainty sample {i}/{settings.n_samples}")
        d_i = perturb(data, rng, settings.errors)
        f = fast_sample(cal, d_i)
        for k, v in f.items():
            dev[k][i] = v - nominal[k]
        # Linearised closed loop: log-parameter changes of the fast fit, plus the stressed
        # volume change that gives this sample's cardiac output.
        dx = np.zeros(len(cal.fitted))
        for j, name in enumerate(cal.fitted):
            key = {"total_resistance": "total_resistance_mmhg_s_per_ml",
                   "compliance": "c_ml_per_mmhg", "aortic_eoa": "aortic_eoa_cm2"}.get(name)
            if key is not None:
                dx[j] = math.log(f[key] / nominal[key])
        if "stressed_volume" in cal.fitted:
            j = cal.fitted.index("stressed_volume")
            g = grads["cardiac_output_l_min"]
            d_co = f["cardiac_output_l_min"] - nominal["cardiac_output_l_min"]
            dx[j] = (d_co - float(g @ dx)) / g[j]
            dev["stressed_volume_ml"][i] = s0 * (math.exp(dx[j]) - 1.0)
        for k in CLOSED_LOOP_ONLY:
            if grads:
                dev[k][i] = float(grads[k] @ dx)
        if "aortic_eoa_index_cm2_per_m2" in dev:
            bsa = bsa_mosteller_m2(data.height_cm, data.weight_kg)
            dev["aortic_eoa_index_cm2_per_m2"][i] = (f["aortic_eoa_cm2"]
                                                     - nominal["aortic_eoa_cm2"]) / bsa
    return dev


def interval(value: float, deviations: np.ndarray, unit: str, level: float = 0.95
             ) -> dict[str, float | str]:
    """``{"value", "low", "high", "unit"}`` from a value and sampled deviations."""
    q = 100.0 * (1.0 - level) / 2.0
    lo, hi = np.percentile(deviations, [q, 100.0 - q])
    return {"value": float(value), "low": float(min(value, value + lo)),
            "high": float(max(value, value + hi)), "unit": unit}
