"""Calibration of the closed loop to what the clinic measured.

What the data identify (and nothing more is fitted):

===================  ======================================  ==============================
parameter            identified from                          rule when not identifiable
===================  ======================================  ==============================
total resistance     central mean pressure and cardiac output prior value kept
total compliance     pulse pressure (SBP, DBP) and CO         prior value kept
aortic EOA           echo mean gradient and CO (valve flow)   prior value kept
stressed volume      cardiac output (closes the loop)         prior value kept
heart rate           measured                                 prior value kept
===================  ======================================  ==============================

The proximal/distal split follows a rule, ``Rp = 6 %`` of the total resistance
(characteristic impedance ≈ 5–10 % of peripheral resistance, Westerhof et al., Med Biol Eng
Comput 2009;47:131–141), and so does the per-outlet distribution
(:mod:`twindesk.sim.lumped.outlets`). LV elastances, V0, mitral resistance and venous
compliance need pressure–volume data; population values are used and reported as such.

Algorithm: two fast-model passes give the starting point — each solves the closed loop to its
periodic state, takes its ejection waveform and fits resistance (closed form), compliance
(1-D root) and EOA (closed form) with the fast model (:mod:`twindesk.sim.lumped.fast`), and
moves the stressed volume by a chord step on the cardiac output. Then Newton's method on the
logarithms of the identifiable parameters makes the **closed loop** reproduce every
identifiable target to 0.01 % (acceptance 0.1 %). Its Jacobian is kept for the uncertainty
propagation of quantities only the closed loop predicts (volumes, ejection fraction).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from twindesk.errors import InputError, SolverError
from twindesk.sim.lumped import units as u
from twindesk.sim.lumped.clinical import ClinicalData, central_mean_mmhg
from twindesk.sim.lumped.fast import (EjectionShape, compliance_for_diastolic,
                                      eoa_for_gradient_m2)
from twindesk.sim.lumped.haemodynamics import summarize
from twindesk.sim.lumped.newton import newton
from twindesk.sim.lumped.params import Circulation, Windkessel, to_clinical
from twindesk.sim.lumped.periodic import PeriodicSolution, solve_periodic

#: Proximal resistance as a fraction of the total (Westerhof et al. 2009).
RP_FRACTION = 0.06
#: Convergence: relative mismatch of every identifiable target reproduced by the closed loop.
TARGET_TOLERANCE = 1e-3

FITTED = ("total_resistance", "compliance", "aortic_eoa", "stressed_volume")


@dataclass(frozen=True)
class Targets:
    """Central (aortic) targets in clinical units; ``None`` = not available."""

    mean_mmhg: float | None
    diastolic_mmhg: float | None
    cardiac_output_l_min: float | None
    mean_gradient_mmhg: float | None
    heart_rate_bpm: float | None

    @classmethod
    def from_data(cls, d: ClinicalData) -> Targets:
        both = d.sbp_mmhg is not None and d.dbp_mmhg is not None
        return cls(central_mean_mmhg(d.sbp_mmhg, d.dbp_mmhg) if both else None,
                   d.dbp_mmhg if both else None, d.co_l_min, d.mean_gradient_mmhg, d.hr_bpm)


def identifiability(d: ClinicalData) -> dict[str, tuple[bool, str | None]]:
    """For each fitted parameter: can these data identify it, and if not, why not."""
    pressures = d.sbp_mmhg is not None and d.dbp_mmhg is not None
    co = d.co_l_min is not None
    no_co = "needs cardiac output (--co-l-min)"
    out: dict[str, tuple[bool, str | None]] = {}
    if not pressures:
        out["total_resistance"] = (False, "needs the mean pressure, i.e. both --sbp and --dbp")
        out["compliance"] = (False, "needs the pulse pressure, i.e. both --sbp and --dbp")
    elif not co:
        out["total_resistance"] = (False, no_co + ": the mean pressure fixes only R·CO")
        out["compliance"] = (False, no_co + ": the pulse pressure fixes only the time "
                                            "constant R·C")
    else:
        out["total_resistance"] = (True, None)
        out["compliance"] = (True, None)
    if d.mean_gradient_mmhg is None:
        out["aortic_eoa"] = (False, "needs an echo mean gradient (--mean-gradient-mmhg)"
                             + ("" if co else " and the flow through the valve (--co-l-min)"))
    elif not co:
        out["aortic_eoa"] = (False, no_co + ": the gradient depends on flow through the valve")
    else:
        out["aortic_eoa"] = (True, None)
    out["stressed_volume"] = (True, None) if co else (False, no_co)
    return out


@dataclass(frozen=True)
class Calibration:
    """A converged calibration: the circulation, its periodic solution and the fit state."""

    circulation: Circulation
    solution: PeriodicSolution
    summary: dict[str, float]
    targets: Targets
    identifiable: dict[str, tuple[bool, str | None]]
    iterations: int
    shape: EjectionShape
    venous_mean_pa: float
    fitted: list[str]
    jacobian: np.ndarray | None  # d(model/target − 1)/d(ln parameter) at the solution


def fit_arterial(shape: EjectionShape, targets: Targets, ident: dict, prior: Windkessel,
                 period_s: float, pd_pa: float) -> tuple[Windkessel, float | None]:
    """Fast-model fit of the Windkessel (and the EOA's flow) to the targets.

    Returns the new Windkessel and the stroke volume (m³) the targets imply (None without CO).
    """
    if targets.cardiac_output_l_min is None:
        return prior, None
    sv = u.l_min_to_m3_s(targets.cardiac_output_l_min) * period_s
    r_total, c = prior.total_resistance_pa_s_per_m3, prior.c_m3_per_pa
    if ident["total_resistance"][0]:
        mean_pa = u.mmhg_to_pa(targets.mean_mmhg)
        r_total = (mean_pa - pd_pa) / (sv / period_s)
        if r_total <= 0:
            raise InputError(f"mean pressure {targets.mean_mmhg:.0f} mmHg is not above the "
                             f"venous pressure ({u.pa_to_mmhg(pd_pa):.0f} mmHg)",
                             "check --sbp/--dbp")
    if ident["compliance"][0]:
        dia_pa = u.mmhg_to_pa(targets.diastolic_mmhg)
        c = compliance_for_diastolic(shape, r_total, RP_FRACTION, pd_pa, sv, period_s, dia_pa,
                                     u.mmhg_to_pa(targets.mean_mmhg))
    return Windkessel(RP_FRACTION * r_total, c, (1.0 - RP_FRACTION) * r_total), sv


def _reproduced(summary: dict[str, float], t: Targets) -> dict[str, tuple[float, float]]:
    """(target, model) pairs in clinical units for every available target."""
    pairs = {"mean": (t.mean_mmhg, summary["aortic_mean_mmhg"]),
             "diastolic": (t.diastolic_mmhg, summary["aortic_diastolic_mmhg"]),
             "cardiac_output": (t.cardiac_output_l_min, summary["cardiac_output_l_min"]),
             "mean_gradient": (t.mean_gradient_mmhg, summary["mean_gradient_mmhg"])}
    return {k: v for k, v in pairs.items() if v[0] is not None}


# Fitted parameter → (clinical key(s) it sets, target it is paired with).
PAIRS = {"total_resistance": "mean", "compliance": "diastolic", "aortic_eoa": "mean_gradient",
         "stressed_volume": "cardiac_output"}


def log_params(c: Circulation, names: list[str]) -> np.ndarray:
    d = to_clinical(c)
    values = {"total_resistance": d["rp_mmhg_s_per_ml"] + d["rd_mmhg_s_per_ml"],
              "compliance": d["c_ml_per_mmhg"], "aortic_eoa": d["aortic_eoa_cm2"],
              "stressed_volume": d["stressed_volume_ml"]}
    return np.log([values[n] for n in names])


def with_log_params(c: Circulation, names: list[str], x: np.ndarray) -> Circulation:
    """``c`` with the named fitted parameters set from their logarithms (clinical units)."""
    changes: dict[str, float] = {}
    for name, value in zip(names, np.exp(x), strict=True):
        if name == "total_resistance":
            changes["rp_mmhg_s_per_ml"] = RP_FRACTION * value
            changes["rd_mmhg_s_per_ml"] = (1.0 - RP_FRACTION) * value
        else:
            changes[{"compliance": "c_ml_per_mmhg", "aortic_eoa": "aortic_eoa_cm2",
                     "stressed_volume": "stressed_volume_ml"}[name]] = value
    return _checked(c, changes)


def _initial_guess(c: Circulation, targets: Targets, ident: dict, passes: int = 2
                   ) -> tuple[Circulation, PeriodicSolution]:
    """A few fast-model passes: arterial fit, EOA, and one chord step on the volume."""
    period = c.heart.heart_period_s
    sol = solve_periodic(c)
    for _ in range(passes):
        summary = summarize(c, sol.waveforms)
        shape = EjectionShape.from_waveforms(sol.waveforms, period)
        pd_pa = u.mmhg_to_pa(summary["venous_mean_mmhg"])
        wk, sv = fit_arterial(shape, targets, ident, c.arteries, period, pd_pa)
        changes = {"rp_mmhg_s_per_ml": wk.rp_pa_s_per_m3 / u.PA_S_PER_M3_PER_MMHG_S_PER_ML,
                   "rd_mmhg_s_per_ml": wk.rd_pa_s_per_m3 / u.PA_S_PER_M3_PER_MMHG_S_PER_ML,
                   "c_ml_per_mmhg": wk.c_m3_per_pa / u.M3_PER_PA_PER_ML_PER_MMHG}
        if ident["aortic_eoa"][0]:
            eoa = eoa_for_gradient_m2(shape, sv, period, u.mmhg_to_pa(targets.mean_gradient_mmhg),
                                      c.valve.blood_density_kg_per_m3)
            changes["aortic_eoa_cm2"] = min(u.m2_to_cm2(eoa), 0.95 * u.m2_to_cm2(
                c.valve.aorta_area_m2))
        if ident["stressed_volume"][0]:
            slope = _co_per_log_volume(c, sol)
            step = (targets.cardiac_output_l_min - summary["cardiac_output_l_min"]) / slope
            changes["stressed_volume_ml"] = u.m3_to_ml(c.stressed_volume_m3) * math.exp(
                max(min(step, 0.7), -0.7))
        c = _checked(c, changes)
        sol = solve_periodic(c, x0=sol.state0)
    return c, sol


def calibrate(data: ClinicalData, prior: Circulation) -> Calibration:
    """Fit the identifiable parameters of ``prior`` to ``data`` (see the module doc)."""
    targets = Targets.from_data(data)
    ident = identifiability(data)
    c = prior if data.hr_bpm is None else _checked(prior, {"heart_rate_bpm": data.hr_bpm})
    names = [n for n in FITTED if ident[n][0]]
    c, sol = _initial_guess(c, targets, ident) if names else (c, solve_periodic(c))
    jac = None
    iterations = 0
    if names:
        want = np.array([_target_value(targets, PAIRS[n]) for n in names])
        state = {"x0": sol.state0}

        def residual(x: np.ndarray) -> np.ndarray:
            trial = with_log_params(c, names, x)
            s = solve_periodic(trial, x0=state["x0"])
            state["x0"] = s.state0
            summary = summarize(trial, s.waveforms)
            return np.array([_model_value(summary, PAIRS[n]) for n in names]) / want - 1.0

        res = newton(residual, log_params(c, names), np.ones(len(names)),
                     TARGET_TOLERANCE / 10.0, f_scale=np.ones(len(names)), fd_step=1e-3,
                     max_step_scales=0.5, max_iter=25, what="calibration",
                     hint="check that the measurements are consistent with each other")
        c, jac, iterations = with_log_params(c, names, res.x), res.jacobian, res.iterations
        sol = solve_periodic(c, x0=state["x0"])
    summary = summarize(c, sol.waveforms)
    period = c.heart.heart_period_s
    return Calibration(c, sol, summary, targets, ident, iterations,
                       EjectionShape.from_waveforms(sol.waveforms, period),
                       u.mmhg_to_pa(summary["venous_mean_mmhg"]), names, jac)


def _target_value(t: Targets, key: str) -> float:
    return {"mean": t.mean_mmhg, "diastolic": t.diastolic_mmhg,
            "mean_gradient": t.mean_gradient_mmhg,
            "cardiac_output": t.cardiac_output_l_min}[key]


def _model_value(summary: dict[str, float], key: str) -> float:
    return summary[{"mean": "aortic_mean_mmhg", "diastolic": "aortic_diastolic_mmhg",
                    "mean_gradient": "mean_gradient_mmhg",
                    "cardiac_output": "cardiac_output_l_min"}[key]]


def _checked(c: Circulation, changes: dict[str, float]) -> Circulation:
    try:
        return c.with_(**changes)
    except InputError as exc:
        raise InputError(f"the measurements need a parameter outside its plausible range: "
                         f"{exc.message}", "check the measurements and their units") from None


def _co_per_log_volume(c: Circulation, sol: PeriodicSolution) -> float:
    """d(cardiac output, L/min)/d(ln stressed volume) by a finite difference."""
    h = 0.02
    c2 = replace(c, stressed_volume_m3=c.stressed_volume_m3 * math.exp(h))
    co1 = summarize(c, sol.waveforms)["cardiac_output_l_min"]
    co2 = summarize(c2, solve_periodic(c2, x0=sol.state0).waveforms)["cardiac_output_l_min"]
    slope = (co2 - co1) / h
    if not slope > 0:
        raise SolverError("cardiac output does not rise with filling volume at these parameters",
                          "check the physiology parameters")
    return slope


def reproduced_table(cal: Calibration) -> dict[str, dict[str, float | str]]:
    """Target vs closed-loop value for every available target (clinical units)."""
    units = {"mean": "mmHg", "diastolic": "mmHg", "cardiac_output": "L/min",
             "mean_gradient": "mmHg"}
    names = {"mean": "central_mean_pressure", "diastolic": "central_diastolic_pressure",
             "cardiac_output": "cardiac_output", "mean_gradient": "mean_gradient"}
    out = {}
    for k, (t, m) in _reproduced(cal.summary, cal.targets).items():
        out[names[k]] = {"target": float(t), "model": float(m), "unit": units[k],
                         "error_pct": float(100.0 * (m - t) / t)}
    return out

