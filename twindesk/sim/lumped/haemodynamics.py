"""Clinical summary of one periodic cycle: pressures, volumes, flows, valve gradients.

Gradient definitions (all over the ejection period, where the aortic valve flow is > 0):

* ``mean_gradient_mmhg`` / ``peak_gradient_mmhg`` — the **Doppler (echo) gradient**
  ``ρ/2·v²`` with ``v = Q/EOA`` the vena-contracta velocity, i.e. the simplified Bernoulli
  ``4v²`` that echo reports (Baumgartner et al., J Am Soc Echocardiogr 2009;22:1–23). This is
  what calibration matches to an echo mean gradient.
* ``net_mean_gradient_mmhg`` / ``net_peak_gradient_mmhg`` — ``P_lv − P_ao``, the catheter
  (net) gradient after pressure recovery in the ascending aorta (equal to the Doppler
  gradient when pressure recovery is off).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from twindesk.sim.lumped import units as u
from twindesk.sim.lumped.model import Waveforms
from twindesk.sim.lumped.params import Circulation


def cycle_mean(t_s: np.ndarray, x: np.ndarray, period_s: float) -> float:
    """Mean of a periodic sampled signal (trapezoid over the closed cycle)."""
    tt = np.append(t_s, period_s)
    xx = np.append(x, x[0])
    return float(np.trapezoid(xx, tt) / period_s)


def ejection_window(t_s: np.ndarray, drive_pa: np.ndarray, period_s: float) -> tuple[float, float]:
    """Start and end (s) of ejection, where the valve drive ``P_lv − P_c`` is positive.

    The drive is smooth through valve opening and closure (the flow is not: it is clamped
    at zero), so its zero crossings are located by linear interpolation between samples.
    """
    open_ = drive_pa > 0.0
    if not open_.any():
        return 0.0, 0.0
    dt = period_s / t_s.size
    idx = np.flatnonzero(open_)
    i0, i1 = int(idx[0]), int(idx[-1])

    def crossing(i_a: int, i_b: int) -> float:
        a, b = drive_pa[i_a], drive_pa[i_b]
        return float(t_s[i_a] + (i_b - i_a) * dt * a / (a - b))

    start = crossing(i0 - 1, i0) if i0 > 0 else float(t_s[i0])
    end = crossing(i1, i1 + 1) if i1 + 1 < drive_pa.size else float(t_s[i1])
    return start, end


def summarize(c: Circulation, w: Waveforms) -> dict[str, float]:
    """The clinical summary of one periodic cycle (clinical units in the key names)."""
    period = c.heart.heart_period_s
    rho = c.valve.blood_density_kg_per_m3
    sv_m3 = cycle_mean(w.t_s, w.q_av_m3_s, period) * period
    i_ed = int(np.argmax(w.v_lv_m3))
    edv, esv = float(w.v_lv_m3[i_ed]), float(np.min(w.v_lv_m3))
    t0, t1 = ejection_window(w.t_s, w.p_lv_pa - w.p_c_pa, period)
    ejection_s = max(t1 - t0, 1e-12)
    v_vc = w.q_av_m3_s / c.valve.eoa_m2
    doppler = 0.5 * rho * v_vc ** 2
    net = np.where(w.q_av_m3_s > 0.0, w.p_lv_pa - w.p_ao_pa, 0.0)
    mmhg = u.pa_to_mmhg
    return {
        "lv_systolic_mmhg": float(mmhg(np.max(w.p_lv_pa))),
        # End-diastole = onset of activation (t = 0, the ECG R wave): LV pressure rises too
        # steeply around mitral closure for a sample-based definition to be stable.
        "lv_end_diastolic_mmhg": float(mmhg(w.p_lv_pa[0])),
        "aortic_systolic_mmhg": float(mmhg(np.max(w.p_ao_pa))),
        "aortic_diastolic_mmhg": float(mmhg(np.min(w.p_ao_pa))),
        "aortic_mean_mmhg": float(mmhg(cycle_mean(w.t_s, w.p_ao_pa, period))),
        "aortic_pulse_pressure_mmhg": float(mmhg(np.ptp(w.p_ao_pa))),
        "stroke_volume_ml": float(u.m3_to_ml(sv_m3)),
        "cardiac_output_l_min": float(u.m3_s_to_l_min(sv_m3 / period)),
        "heart_rate_bpm": float(c.heart.heart_rate_bpm),
        "end_diastolic_volume_ml": float(u.m3_to_ml(edv)),
        "end_systolic_volume_ml": float(u.m3_to_ml(esv)),
        "ejection_fraction_pct": float(100.0 * (edv - esv) / edv),
        "mean_gradient_mmhg": float(mmhg(cycle_mean(w.t_s, doppler, period) * period / ejection_s)),
        "peak_gradient_mmhg": float(mmhg(np.max(doppler))),
        "net_mean_gradient_mmhg": float(mmhg(cycle_mean(w.t_s, net, period) * period / ejection_s)),
        "net_peak_gradient_mmhg": float(mmhg(np.max(net))),
        "peak_velocity_m_s": float(np.max(v_vc)),
        "peak_aortic_flow_ml_s": float(u.m3_to_ml(np.max(w.q_av_m3_s))),
        "ejection_time_ms": float(1000.0 * ejection_s),
        "venous_mean_mmhg": float(mmhg(cycle_mean(w.t_s, w.p_v_pa, period))),
        "aortic_eoa_cm2": float(u.m2_to_cm2(c.valve.eoa_m2)),
    }


UNITS: dict[str, str] = {
    "lv_systolic_mmhg": "mmHg", "lv_end_diastolic_mmhg": "mmHg", "aortic_systolic_mmhg": "mmHg",
    "aortic_diastolic_mmhg": "mmHg", "aortic_mean_mmhg": "mmHg",
    "aortic_pulse_pressure_mmhg": "mmHg", "stroke_volume_ml": "ml",
    "cardiac_output_l_min": "L/min", "heart_rate_bpm": "bpm", "end_diastolic_volume_ml": "ml",
    "end_systolic_volume_ml": "ml", "ejection_fraction_pct": "%", "mean_gradient_mmhg": "mmHg",
    "peak_gradient_mmhg": "mmHg", "net_mean_gradient_mmhg": "mmHg",
    "net_peak_gradient_mmhg": "mmHg", "peak_velocity_m_s": "m/s", "peak_aortic_flow_ml_s": "ml/s",
    "ejection_time_ms": "ms", "venous_mean_mmhg": "mmHg", "aortic_eoa_cm2": "cm²",
}


def waveform_table(w: Waveforms) -> dict[str, Any]:
    """Columns for the waveform CSV (clinical units in the column names)."""
    return {
        "t_s": w.t_s,
        "p_lv_mmhg": u.pa_to_mmhg(w.p_lv_pa),
        "p_ao_mmhg": u.pa_to_mmhg(w.p_ao_pa),
        "p_venous_mmhg": u.pa_to_mmhg(w.p_v_pa),
        "v_lv_ml": u.m3_to_ml(w.v_lv_m3),
        "q_aortic_ml_s": u.m3_to_ml(w.q_av_m3_s),
        "q_mitral_ml_s": u.m3_to_ml(w.q_mv_m3_s),
        "q_peripheral_ml_s": u.m3_to_ml(w.q_per_m3_s),
    }
