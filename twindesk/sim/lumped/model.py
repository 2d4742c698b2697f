"""The closed-loop lumped model: equations and one cardiac cycle.

States (SI): LV volume ``V_lv`` (m³), Windkessel capacitor pressure ``P_c`` (Pa), venous/atrial
pressure ``P_v`` (Pa). With ``E(t)`` the LV elastance (:func:`elastance_pa_per_m3`)::

    P_lv  = E(t)·(V_lv − V0)
    Q_mv  = max(P_v − P_lv, 0) / R_mv                       mitral inflow (ideal diode + R)
    Q_av  : P_lv − P_c = Rp·Q_av + B·Q_av²,  Q_av ≥ 0       aortic valve (Bernoulli loss)
    P_ao  = P_c + Rp·Q_av                                   aortic root pressure
    Q_per = (P_c − P_v) / Rd                                 peripheral flow
    dV_lv/dt = Q_mv − Q_av
    C·dP_c/dt = Q_av − Q_per                                 three-element Windkessel
    C_v·dP_v/dt = Q_per − Q_mv

``B = ρ/(2·A²)`` with ``A`` the valve's loss area (EOA, or Garcia's energy-loss coefficient,
see :class:`~twindesk.sim.lumped.params.AorticValve`). The valve is closed (``Q_av = 0``)
whenever ``P_lv ≤ P_c``; valve inertance and regurgitation are not modelled. The stressed
volume ``V_lv + C·P_c + C_v·P_v`` is conserved, so a cycle map on ``(V_lv, P_c)`` suffices.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from twindesk.errors import SolverError
from twindesk.sim.lumped.params import Circulation, Windkessel

# Two-Hill activation of the LV (Mynard et al., Int J Numer Meth Biomed Eng
# 2012;28:626–641): time constants as fractions of the cardiac period and Hill exponents.
TAU1_FRACTION = 0.269
TAU2_FRACTION = 0.452
HILL_M1 = 1.32
HILL_M2 = 27.4


def _hill_raw(tn: float) -> float:
    g1 = (tn / TAU1_FRACTION) ** HILL_M1
    g2 = (tn / TAU2_FRACTION) ** HILL_M2
    return g1 / (1.0 + g1) / (1.0 + g2)


@lru_cache(maxsize=1)
def _hill_peak() -> tuple[float, float]:
    """(normalised time of peak, peak value) of the un-normalised two-Hill product."""
    from scipy.optimize import minimize_scalar

    grid = np.linspace(1e-4, 1.0, 20001)
    raw = np.array([_hill_raw(t) for t in grid])
    i = int(np.argmax(raw))
    res = minimize_scalar(lambda t: -_hill_raw(t), bounds=(grid[max(i - 1, 0)], grid[i + 1]),
                          method="bounded", options={"xatol": 1e-12})
    return float(res.x), float(-res.fun)


def activation(t_s: float, period_s: float) -> float:
    """Normalised LV activation ``a(t)`` in [0, 1], periodic with ``period_s``; 0 at onset."""
    tn = (t_s % period_s) / period_s
    if tn <= 0.0:
        return 0.0
    return _hill_raw(tn) / _hill_peak()[1]


def time_to_peak_elastance_s(period_s: float) -> float:
    return _hill_peak()[0] * period_s


def elastance_pa_per_m3(t_s: float, c: Circulation) -> float:
    h = c.heart
    return h.emin_pa_per_m3 + (h.emax_pa_per_m3 - h.emin_pa_per_m3) * activation(
        t_s, h.heart_period_s)


def valve_flow_m3_s(drive_pa: float, rp: float, b: float) -> float:
    """Forward valve flow for ``drive = P_lv − P_c`` through ``Rp`` and the loss ``B·Q²``.

    Solves ``B·Q² + Rp·Q − drive = 0`` for the root ``Q ≥ 0`` in the cancellation-free form.
    """
    if drive_pa <= 0.0:
        return 0.0
    return 2.0 * drive_pa / (rp + math.sqrt(rp * rp + 4.0 * b * drive_pa))


def windkessel_dpc_dt(q_in_m3_s: float, p_c_pa: float, p_d_pa: float, wk: Windkessel) -> float:
    """Rate of change of the Windkessel capacitor pressure (Pa/s)."""
    return (q_in_m3_s - (p_c_pa - p_d_pa) / wk.rd_pa_s_per_m3) / wk.c_m3_per_pa


def closed_loop_rhs(c: Circulation) -> Callable[[float, np.ndarray], list[float]]:
    """``f(t, y)`` for ``y = (V_lv, P_c, P_v)`` with the parameters bound as local floats."""
    h, wk = c.heart, c.arteries
    period = h.heart_period_s
    emin, de, v0 = h.emin_pa_per_m3, h.emax_pa_per_m3 - h.emin_pa_per_m3, h.v0_m3
    r_mv, rp = h.mitral_resistance_pa_s_per_m3, wk.rp_pa_s_per_m3
    b = c.valve.loss_coefficient_pa_s2_per_m6
    c_art, r_d, c_ven = wk.c_m3_per_pa, wk.rd_pa_s_per_m3, c.venous.compliance_m3_per_pa
    norm = 1.0 / _hill_peak()[1]

    def rhs(t: float, y: np.ndarray) -> list[float]:
        v_lv, p_c, p_v = y[0], y[1], y[2]
        tn = (t % period) / period
        a = _hill_raw(tn) * norm if tn > 0.0 else 0.0
        p_lv = (emin + de * a) * (v_lv - v0)
        q_mv = (p_v - p_lv) / r_mv if p_v > p_lv else 0.0
        drive = p_lv - p_c
        q_av = 2.0 * drive / (rp + math.sqrt(rp * rp + 4.0 * b * drive)) if drive > 0.0 else 0.0
        q_per = (p_c - p_v) / r_d
        return [q_mv - q_av, (q_av - q_per) / c_art, (q_per - q_mv) / c_ven]

    return rhs


@dataclass(frozen=True)
class Waveforms:
    """One cardiac cycle sampled uniformly (SI units; ``t_s`` from activation onset)."""

    t_s: np.ndarray
    p_lv_pa: np.ndarray
    p_ao_pa: np.ndarray
    p_c_pa: np.ndarray
    p_v_pa: np.ndarray
    v_lv_m3: np.ndarray
    q_av_m3_s: np.ndarray
    q_mv_m3_s: np.ndarray
    q_per_m3_s: np.ndarray


def waveforms_from_states(c: Circulation, t_s: np.ndarray, y: np.ndarray) -> Waveforms:
    """Derived pressures and flows from sampled states ``y`` (3 × n)."""
    h, wk = c.heart, c.arteries
    v_lv, p_c, p_v = y
    e = np.array([elastance_pa_per_m3(t, c) for t in t_s])
    p_lv = e * (v_lv - h.v0_m3)
    q_mv = np.maximum(p_v - p_lv, 0.0) / h.mitral_resistance_pa_s_per_m3
    b, rp = c.valve.loss_coefficient_pa_s2_per_m6, wk.rp_pa_s_per_m3
    drive = np.maximum(p_lv - p_c, 0.0)
    q_av = 2.0 * drive / (rp + np.sqrt(rp * rp + 4.0 * b * drive))
    return Waveforms(t_s=t_s, p_lv_pa=p_lv, p_ao_pa=p_c + rp * q_av, p_c_pa=p_c, p_v_pa=p_v,
                     v_lv_m3=v_lv, q_av_m3_s=q_av, q_mv_m3_s=q_mv,
                     q_per_m3_s=(p_c - p_v) / wk.rd_pa_s_per_m3)


#: Integrator settings: LSODA switches between stiff and non-stiff methods as the valves
#: open and close; absolute tolerances are per state (0.1 µl, 1 mPa).
RTOL = 1e-8
ATOL = (1e-10, 1e-3, 1e-3)


def integrate_cycle(c: Circulation, y0: np.ndarray, t_eval: np.ndarray | None = None,
                    t0_s: float = 0.0):
    """Integrate one cardiac period from ``y0``; returns scipy's ``OdeResult``."""
    from scipy.integrate import solve_ivp

    period = c.heart.heart_period_s
    sol = solve_ivp(closed_loop_rhs(c), (t0_s, t0_s + period), np.asarray(y0, float),
                    method="LSODA", rtol=RTOL, atol=list(ATOL), t_eval=t_eval,
                    max_step=period / 50.0)
    if not sol.success or not np.all(np.isfinite(sol.y)):
        raise SolverError(f"the 0D model did not integrate: {sol.message}",
                          "check the physiology parameters (units, plausible ranges)")
    return sol
