"""The fast model: the arterial side and the valve driven by a prescribed ejection waveform.

The Windkessel is linear, so once the aortic valve flow ``Q(t)`` is known its pressure
follows analytically (:func:`~twindesk.sim.lumped.rcr_analytic.rcr_pressure_from_samples`)
in microseconds, and the valve gradients follow from Bernoulli. The waveform's *shape* comes
from a closed-loop solution; the fast model rescales it to another stroke volume and heart
rate (time scales with the period, as the LV activation does). With the shape of the
closed-loop solution itself it reproduces that solution's aortic pressure up to the small
swing of the venous pressure (held at its mean here). Calibration uses it for its inner
fits, uncertainty sampling for hundreds of samples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from twindesk.errors import InputError
from twindesk.sim.lumped import units as u
from twindesk.sim.lumped.haemodynamics import cycle_mean, ejection_window
from twindesk.sim.lumped.model import Waveforms
from twindesk.sim.lumped.params import AorticValve, Windkessel
from twindesk.sim.lumped.rcr_analytic import rcr_pressure_from_samples


@dataclass(frozen=True)
class EjectionShape:
    """Aortic valve flow over one cycle with unit mean: ``Q(t) = SV/T · shape(t/T)``.

    ``ejection_fraction_of_cycle`` is the ejection duration over the period.
    """

    shape: np.ndarray
    ejection_fraction_of_cycle: float

    @classmethod
    def from_waveforms(cls, w: Waveforms, period_s: float) -> EjectionShape:
        q = np.asarray(w.q_av_m3_s, float)
        mean = cycle_mean(w.t_s, q, period_s)
        t0, t1 = ejection_window(w.t_s, w.p_lv_pa - w.p_c_pa, period_s)
        return cls(q / mean, (t1 - t0) / period_s)

    def flow_m3_s(self, stroke_volume_m3: float, period_s: float) -> np.ndarray:
        return stroke_volume_m3 / period_s * self.shape

    def ejection_mean(self, x: np.ndarray) -> float:
        """Mean of ``x`` over the ejection period (x is zero outside it)."""
        return float(np.mean(x) / self.ejection_fraction_of_cycle)


def aortic_pressure_pa(shape: EjectionShape, wk: Windkessel, stroke_volume_m3: float,
                       period_s: float) -> np.ndarray:
    return rcr_pressure_from_samples(wk, shape.flow_m3_s(stroke_volume_m3, period_s), period_s)


def eoa_for_gradient_m2(shape: EjectionShape, stroke_volume_m3: float, period_s: float,
                        mean_gradient_pa: float, density_kg_per_m3: float) -> float:
    """EOA whose Doppler mean gradient ``mean_ej(ρ/2·(Q/EOA)²)`` equals ``mean_gradient_pa``.

    This is the Bernoulli/continuity-consistent inversion of the loss model (the flow is the
    model's waveform, not Gorlin's mean flow with an empirical constant).
    """
    q = shape.flow_m3_s(stroke_volume_m3, period_s)
    return math.sqrt(density_kg_per_m3 * shape.ejection_mean(q * q) / (2.0 * mean_gradient_pa))


def gorlin_eoa_cm2(stroke_volume_ml: float, ejection_time_s: float, mean_gradient_mmhg: float
                   ) -> float:
    """Gorlin valve area ``Q_ej/(44.3·√ΔP)`` (cm², ml/s, mmHg), for reference.

    Gorlin R, Gorlin SG. Am Heart J 1951;41:1–29 (aortic discharge coefficient 1).
    """
    return stroke_volume_ml / ejection_time_s / (44.3 * math.sqrt(mean_gradient_mmhg))


def compliance_for_diastolic(shape: EjectionShape, total_resistance: float, rp_fraction: float,
                             pd_pa: float, stroke_volume_m3: float, period_s: float,
                             diastolic_pa: float, mean_pa: float) -> float:
    """Total compliance (m³/Pa) whose RCR response has the given diastolic pressure.

    The diastolic pressure falls monotonically from the mean (C → ∞) towards the distal
    pressure (C → 0), so a bracketing root search is safe; outside that range the pulse
    pressure cannot be produced by an RCR and an :class:`InputError` says so.
    """
    from scipy.optimize import brentq

    def dbp_minus_target(log_c: float) -> float:
        wk = _split(total_resistance, rp_fraction, math.exp(log_c), pd_pa)
        p = aortic_pressure_pa(shape, wk, stroke_volume_m3, period_s)
        return float(np.min(p)) - diastolic_pa

    lo, hi = math.log(1e-11), math.log(1e-6)  # 0.0013 … 133 ml/mmHg
    f_lo, f_hi = dbp_minus_target(lo), dbp_minus_target(hi)
    if f_lo * f_hi > 0:
        raise InputError(
            f"the diastolic pressure {u.pa_to_mmhg(diastolic_pa):.0f} mmHg cannot be reproduced "
            f"with mean {u.pa_to_mmhg(mean_pa):.0f} mmHg by any arterial compliance",
            "check --sbp/--dbp (and that DBP is above the venous pressure)")
    return math.exp(brentq(dbp_minus_target, lo, hi, xtol=1e-10, rtol=1e-12))


def _split(total_resistance: float, rp_fraction: float, c_m3_per_pa: float,
           pd_pa: float) -> Windkessel:
    return Windkessel(rp_fraction * total_resistance, c_m3_per_pa,
                      (1.0 - rp_fraction) * total_resistance, pd_pa)


def predictions(shape: EjectionShape, wk: Windkessel, valve: AorticValve,
                stroke_volume_m3: float, period_s: float) -> dict[str, float]:
    """What the fast model predicts (clinical units; keys as in ``haemodynamics.summarize``)."""
    q = shape.flow_m3_s(stroke_volume_m3, period_s)
    p_ao = rcr_pressure_from_samples(wk, q, period_s)
    p_lv_ej = p_ao + valve.loss_coefficient_pa_s2_per_m6 * q * q
    rho = valve.blood_density_kg_per_m3
    doppler = 0.5 * rho * (q / valve.eoa_m2) ** 2
    net = valve.loss_coefficient_pa_s2_per_m6 * q * q
    mmhg = u.pa_to_mmhg
    return {
        "aortic_systolic_mmhg": float(mmhg(np.max(p_ao))),
        "aortic_diastolic_mmhg": float(mmhg(np.min(p_ao))),
        "aortic_mean_mmhg": float(mmhg(np.mean(p_ao))),
        "aortic_pulse_pressure_mmhg": float(mmhg(np.ptp(p_ao))),
        "lv_systolic_mmhg": float(mmhg(np.max(p_lv_ej))),
        "mean_gradient_mmhg": float(mmhg(shape.ejection_mean(doppler))),
        "peak_gradient_mmhg": float(mmhg(np.max(doppler))),
        "net_mean_gradient_mmhg": float(mmhg(shape.ejection_mean(net))),
        "peak_velocity_m_s": float(np.max(q) / valve.eoa_m2),
        "stroke_volume_ml": float(u.m3_to_ml(stroke_volume_m3)),
        "cardiac_output_l_min": float(u.m3_s_to_l_min(stroke_volume_m3 / period_s)),
    }
