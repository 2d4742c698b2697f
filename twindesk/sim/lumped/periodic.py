"""Periodic steady state of the 0D model by Newton shooting on the cycle map.

A heartbeat maps the state at activation onset to the state one period later,
``x ↦ Φ(x)``. The periodic steady state solves ``Φ(x) = x``. Plain cycle-by-cycle
integration converges with the slowest time constant of the loop (the venous reservoir
refills over tens of beats); Newton's method on ``Φ(x) − x`` with a finite-difference
Jacobian and Broyden updates reaches it in a handful of cycle integrations. A final cycle
then *measures* the cycle-to-cycle change that the acceptance criterion (< 0.1 %) is
checked on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from twindesk.errors import SolverError
from twindesk.sim.lumped.model import (Waveforms, integrate_cycle, waveforms_from_states,
                                       windkessel_dpc_dt)
from twindesk.sim.lumped.newton import newton
from twindesk.sim.lumped.params import Circulation, Windkessel

#: Acceptance: largest cycle-to-cycle change of the measured quantities (fraction).
PERIODICITY_TOLERANCE = 1e-3


@dataclass(frozen=True)
class PeriodicSolution:
    """The periodic cycle of the closed loop and how it was reached."""

    circulation: Circulation
    waveforms: Waveforms
    state0: np.ndarray
    cycle_to_cycle_change: float
    newton_iterations: int
    cycle_integrations: int

    @property
    def periodic(self) -> bool:
        return self.cycle_to_cycle_change < PERIODICITY_TOLERANCE


def _initial_guess(c: Circulation) -> np.ndarray:
    """States at activation onset from a steady-state estimate (then refined by Newton)."""
    h, wk, ven = c.heart, c.arteries, c.venous
    # Guess a filling pressure, fill the LV to it, and put the rest in the arteries at a
    # pressure consistent with the same arterio-venous flow: solve the linear volume balance.
    p_fill = 8.0 * 133.322
    v_lv = h.v0_m3 + p_fill / h.emin_pa_per_m3
    p_c = (c.stressed_volume_m3 - v_lv - ven.compliance_m3_per_pa * p_fill) / wk.c_m3_per_pa
    if p_c <= p_fill:
        p_c = p_fill * 4.0
    return np.array([v_lv, p_c])


def _full_state(c: Circulation, x: np.ndarray) -> np.ndarray:
    v_lv, p_c = x
    c_art, c_ven = c.arteries.c_m3_per_pa, c.venous.compliance_m3_per_pa
    p_v = (c.stressed_volume_m3 - v_lv - c_art * p_c) / c_ven
    return np.array([v_lv, p_c, p_v])


def solve_periodic(c: Circulation, n_samples: int = 1000, x0: np.ndarray | None = None
                   ) -> PeriodicSolution:
    """Periodic steady state of ``c`` sampled at ``n_samples`` points of one cycle.

    ``x0`` (``V_lv`` m³, ``P_c`` Pa at activation onset) warm-starts the search, e.g. from a
    previous solution with nearby parameters.
    """
    def cycle_map(x: np.ndarray) -> np.ndarray:
        return integrate_cycle(c, _full_state(c, x)).y[:2, -1]

    x0 = _initial_guess(c) if x0 is None else np.asarray(x0, float)
    scale = np.array([10e-6, 133.322])  # 10 ml, 1 mmHg
    shot = newton(lambda x: cycle_map(x) - x, x0, scale, tol=1e-5, fd_step=1e-3,
                  what="periodic steady state",
                  hint="check the physiology parameters; extreme values may have no periodic "
                       "state")
    period = c.heart.heart_period_s
    t = np.linspace(0.0, period, n_samples + 1)
    # Two more beats: the second measures the cycle-to-cycle change honestly.
    first = integrate_cycle(c, _full_state(c, shot.x), t_eval=t)
    second = integrate_cycle(c, first.y[:, -1], t_eval=t + period, t0_s=period)
    wf1 = waveforms_from_states(c, t[:-1], first.y[:, :-1])
    wf2 = waveforms_from_states(c, t[:-1], second.y[:, :-1])
    change = cycle_change(wf1, wf2)
    if not np.all(np.isfinite(wf2.p_lv_pa)):
        raise SolverError("the 0D model produced non-finite values", "check the parameters")
    return PeriodicSolution(c, wf2, second.y[:2, -1].copy(), change, shot.iterations,
                            shot.evaluations + 2)


def cycle_change(a: Waveforms, b: Waveforms) -> float:
    """Largest relative change between two consecutive cycles.

    Measured on the LV volume and the aortic pressure (each relative to its swing over the
    cycle, the strictest scale) and on stroke volume and mean aortic pressure.
    """
    def rel_wave(x: np.ndarray, y: np.ndarray) -> float:
        swing = max(float(np.ptp(x)), 1e-30)
        return float(np.max(np.abs(y - x)) / swing)

    sv_a, sv_b = np.ptp(a.v_lv_m3), np.ptp(b.v_lv_m3)
    map_a, map_b = np.mean(a.p_ao_pa), np.mean(b.p_ao_pa)
    return max(rel_wave(a.v_lv_m3, b.v_lv_m3), rel_wave(a.p_ao_pa, b.p_ao_pa),
               abs(sv_b - sv_a) / max(sv_a, 1e-30), abs(map_b - map_a) / max(abs(map_a), 1e-30))


def periodic_rcr(wk: Windkessel, inflow_m3_s: Callable[[float], float], period_s: float,
                 n_samples: int = 1000, rtol: float = 1e-10) -> tuple[np.ndarray, np.ndarray]:
    """Periodic inlet pressure of an RCR driven by a prescribed inflow, by time integration.

    The same Windkessel equation as the closed loop (:func:`windkessel_dpc_dt`), integrated
    with ``solve_ivp`` and made periodic by Newton shooting (exact in one step: the RCR is
    linear). Returns ``(t_s, p_in_pa)`` at ``n_samples`` uniform times of one cycle, with
    ``p_in = P_c + Rp·Q``.
    """
    from scipy.integrate import solve_ivp

    def run(p_c0: float, t_eval=None):
        sol = solve_ivp(lambda t, y: [windkessel_dpc_dt(inflow_m3_s(t), y[0], wk.pd_pa, wk)],
                        (0.0, period_s), [p_c0], method="DOP853", rtol=rtol, atol=1e-8,
                        t_eval=t_eval, max_step=period_s / 200.0)
        if not sol.success:
            raise SolverError(f"RCR integration failed: {sol.message}")
        return sol

    scale = np.array([133.322])
    shot = newton(lambda x: run(x[0]).y[:, -1] - x, np.array([wk.pd_pa]), scale, tol=1e-10,
                  what="periodic RCR")
    t = np.linspace(0.0, period_s, n_samples, endpoint=False)
    sol = run(shot.x[0], t_eval=t)
    q = np.array([inflow_m3_s(ti) for ti in t])
    return t, sol.y[0] + wk.rp_pa_s_per_m3 * q
