"""Echo-comparable haemodynamics of a pulsatile run, and predicted-versus-measured.

The valve is not resolved in the 3D mesh (leaflets are not segmented for flow): its orifice
lives in the 0D model as the effective orifice area ``EOA`` (native, calibrated; or the
implanted device's). The 3D inflow ``Q(t)`` passes through it, so the vena-contracta
(continuous-wave Doppler) velocity is ``v(t) = Q(t)/EOA``. From it, over the ejection
period (``Q > 0``):

``peak_gradient_mmhg``
    ``4·v_max²`` (v in m/s): the simplified Bernoulli equation of Hatle et al. (Br Heart J
    1978;40:131–140), as recommended for aortic stenosis by Baumgartner et al. (J Am Soc
    Echocardiogr 2009;22:1–23; update Eur Heart J Cardiovasc Imaging 2017;18:254–275).
``mean_gradient_mmhg``
    The mean of the instantaneous ``4·v(t)²`` over ejection (how echo machines average the
    traced Doppler envelope; Baumgartner et al. 2009).
``net_pressure_drop_mean_mmhg`` / ``..._peak_mmhg``
    The drop from the ventricle to the recovery section in the ascending aorta after the
    jet has re-expanded: the valve's irreversible loss ``ρ/2·(Q/ELCo)²`` with Garcia's
    energy-loss coefficient ``ELCo = EOA·A_a/(A_a − EOA)`` (Garcia et al., Circulation
    2000;101:765–771; the 0D valve model) plus the 3D pressure difference from the inlet to
    the recovery section. This is what a catheter pull-back measures, and smaller than the
    Doppler gradient by the pressure recovery.

``peak_velocity_3d_m_s`` is the largest speed of the 3D solution near the inlet, for
reference: it reflects the modelled lumen, not the orifice.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from twindesk.sim.flow.post import PA_PER_MMHG

#: Simplified Bernoulli: ΔP [mmHg] = 4 v² [m/s].
BERNOULLI_MMHG_PER_M2_S2 = 4.0


def echo_outputs(t0d_s: np.ndarray, q0d_m3_s: np.ndarray, t_s: np.ndarray,
                 inflow_m3_s: np.ndarray, eoa_m2: float, loss_coefficient_pa_s2_per_m6: float,
                 drop_3d_pa: np.ndarray, jet_speed_3d_m_s: np.ndarray) -> dict[str, float]:
    """Echo-comparable values of one cycle (module docstring).

    The Doppler values and the valve loss come from the finely sampled 0D inflow
    (``t0d_s``, ``q0d_m3_s``: the waveform the 3D inlet is driven with), so they do not
    depend on the 3D time step; the 3D pressure drop is averaged over the time steps of
    ejection (``inflow_m3_s > 0``).
    """
    q0 = np.asarray(q0d_m3_s, float)
    ej0 = q0 > 0
    q = np.asarray(inflow_m3_s, float)
    ej = q > 0
    if not ej0.any() or not ej.any():
        return {}
    v = np.where(ej0, q0, 0.0) / eoa_m2
    grad = BERNOULLI_MMHG_PER_M2_S2 * v ** 2
    drop = np.asarray(drop_3d_pa, float)
    loss = loss_coefficient_pa_s2_per_m6 * q0 ** 2
    i_peak = int(np.argmax(q))
    dt0 = float(np.mean(np.diff(t0d_s)))
    return {"peak_velocity_m_s": float(v.max()),
            "peak_gradient_mmhg": float(grad.max()),
            "mean_gradient_mmhg": float(grad[ej0].mean()),
            "net_pressure_drop_mean_mmhg": float((loss[ej0].mean() + drop[ej].mean())
                                                 / PA_PER_MMHG),
            "net_pressure_drop_peak_mmhg": float((loss_coefficient_pa_s2_per_m6 * q[i_peak] ** 2
                                                  + drop[i_peak]) / PA_PER_MMHG),
            "pressure_drop_3d_mean_mmhg": float(drop[ej].mean() / PA_PER_MMHG),
            "pressure_drop_3d_peak_mmhg": float(drop[i_peak] / PA_PER_MMHG),
            "peak_velocity_3d_m_s": float(np.max(jet_speed_3d_m_s)),
            "ejection_time_ms": float(1000.0 * ej0.sum() * dt0),
            "eoa_cm2": float(eoa_m2 * 1e4)}


#: Measured echo quantities (``case.doc["clinical"]["observations"]``) and the prediction
#: each is compared with.
ECHO_QUANTITIES = {"mean_gradient_mmhg": "mean_gradient_mmhg",
                   "peak_gradient_mmhg": "peak_gradient_mmhg",
                   "peak_velocity_m_s": "peak_velocity_m_s"}


def latest_echo(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The latest measured value of each echo quantity the twin holds."""
    out: dict[str, dict[str, Any]] = {}
    for o in ((doc.get("clinical") or {}).get("observations") or []):
        q = o.get("quantity")
        if q in ECHO_QUANTITIES and isinstance(o.get("value"), (int, float)):
            if q not in out or str(o.get("time_utc", "")) >= out[q]["time_utc"]:
                out[q] = {"value": float(o["value"]), "time_utc": str(o.get("time_utc", "")),
                          "source": o.get("source")}
    return out


def predicted_vs_measured(echo: dict[str, float], doc: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per echo quantity the twin holds: predicted, measured, difference."""
    rows = []
    for q, m in latest_echo(doc).items():
        pred = echo.get(ECHO_QUANTITIES[q])
        if pred is None:
            continue
        rows.append({"quantity": q, "predicted": pred, "measured": m["value"],
                     "difference": pred - m["value"],
                     "difference_percent": 100.0 * (pred - m["value"]) / m["value"]
                     if m["value"] else None,
                     "measured_time_utc": m["time_utc"], "measured_source": m["source"]})
    return rows
