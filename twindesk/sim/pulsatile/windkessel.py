"""Outlet three-element Windkessels integrated alongside the 3D flow, coupled implicitly.

Each outlet ``i`` carries an RCR (proximal resistance ``Rp``, compliance ``C``, distal
resistance ``Rd`` draining into the distal pressure ``Pd``; SI units)::

    P_i = Rp·Q_i + Pc_i,         C·dPc_i/dt = Q_i − (Pc_i − Pd)/Rd

with ``Q_i`` the outward flow through the outlet (m³/s) and ``P_i`` the mean normal traction
applied to it (Pa). The capacitor equation is discretised with the same backward
differentiation formula as the 3D momentum equation (BDF1 for the first step, then BDF2)::

    C·(a0·Pc^{n+1} + a1·Pc^n + a2·Pc^{n−1})/Δt = Q^{n+1} − (Pc^{n+1} − Pd)/Rd

which is linear in the unknown ``Q^{n+1}``, so the outlet pressure at the new time level is
exactly ``P^{n+1} = R_eff·Q^{n+1} + P_ref`` with

    R_eff = Rp + g,   P_ref = g·(Pd/Rd − C·(a1·Pc^n + a2·Pc^{n−1})/Δt),
    g = 1/(a0·C/Δt + 1/Rd).

The 3D solver treats ``R_eff`` as an implicit outlet resistance (a rank-one term per outlet
in its linear system) and ``P_ref`` as a known traction: the coupling is **implicit**
(monolithic in the outlet flows, no lag), which is what keeps it stable when the outlet
impedances are orders of magnitude above the 3D domain's (Vignon-Clementel et al., Comput
Methods Appl Mech Eng 2006;195:3776–3796, describe the same implicit RCR coupling).
An outlet without a Windkessel is a zero-pressure (traction-free) opening.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twindesk.errors import InputError
from twindesk.sim.lumped.params import Windkessel

#: Backward differentiation coefficients (a0, a1, a2) of orders 1 and 2.
BDF = {1: (1.0, -1.0, 0.0), 2: (1.5, -2.0, 0.5)}


@dataclass(frozen=True)
class OutletRCR:
    """The condition of one outlet region: a Windkessel, or ``None`` for a zero-pressure
    opening."""

    region_id: int
    windkessel: Windkessel | None = None

    def __post_init__(self):
        wk = self.windkessel
        if wk is None:
            return
        values = (wk.rp_pa_s_per_m3, wk.c_m3_per_pa, wk.rd_pa_s_per_m3, wk.pd_pa)
        if not all(np.isfinite(values)) or wk.rp_pa_s_per_m3 < 0 or wk.c_m3_per_pa < 0 \
                or wk.rd_pa_s_per_m3 <= 0:
            raise InputError(f"outlet {self.region_id}: Windkessel values {values} are not "
                             "usable (need Rp ≥ 0, C ≥ 0, Rd > 0, all finite)",
                             "recalibrate the physiology")


class RCRBank:
    """Capacitor pressures of all outlets at the two latest time levels.

    Parameters
    ----------
    outlets
        One :class:`OutletRCR` per outlet region.
    pc0_pa
        Initial capacitor pressure of every outlet (Pa), e.g. the 0D model's arterial
        pressure at the start of the cycle; a scalar or one value per outlet.
    """

    def __init__(self, outlets: list[OutletRCR], pc0_pa=0.0):
        self.outlets = list(outlets)
        pc0 = np.broadcast_to(np.asarray(pc0_pa, float), (len(self.outlets),)).copy()
        self.pc = pc0          # Pc^n
        self.pc_prev = pc0.copy()  # Pc^{n−1}
        self.pressure = pc0.copy()  # outlet pressure P at the latest time level

    @property
    def region_ids(self) -> list[int]:
        return [o.region_id for o in self.outlets]

    def coefficients(self, dt_s: float, order: int) -> tuple[np.ndarray, np.ndarray]:
        """``(R_eff, P_ref)`` per outlet for the next step (Pa·s/m³, Pa)."""
        a0, a1, a2 = BDF[order]
        r_eff = np.zeros(len(self.outlets))
        p_ref = np.zeros(len(self.outlets))
        for i, o in enumerate(self.outlets):
            wk = o.windkessel
            if wk is None:
                continue
            g = 1.0 / (a0 * wk.c_m3_per_pa / dt_s + 1.0 / wk.rd_pa_s_per_m3)
            hist = wk.c_m3_per_pa * (a1 * self.pc[i] + a2 * self.pc_prev[i]) / dt_s
            r_eff[i] = wk.rp_pa_s_per_m3 + g
            p_ref[i] = g * (wk.pd_pa / wk.rd_pa_s_per_m3 - hist)
        return r_eff, p_ref

    def advance(self, q_m3_s: np.ndarray, dt_s: float, order: int) -> np.ndarray:
        """Move to the new time level given the new outlet flows; returns ``P^{n+1}`` (Pa)."""
        r_eff, p_ref = self.coefficients(dt_s, order)
        q = np.asarray(q_m3_s, float)
        pressure = r_eff * q + p_ref
        new_pc = np.array([pressure[i] - (o.windkessel.rp_pa_s_per_m3 * q[i]
                                          if o.windkessel else 0.0)
                           for i, o in enumerate(self.outlets)])
        self.pc_prev, self.pc = self.pc, new_pc
        self.pressure = pressure
        return pressure

    def periodic_restart(self, q_cycle_m3_s: np.ndarray, dt_s: float) -> np.ndarray:
        """Set every capacitor to the periodic state of the BDF2 recurrence driven by one
        cycle of outlet flows ``q_cycle_m3_s`` (steps × outlets); returns the change of
        ``Pc`` (Pa).

        The recurrence is linear, so one cycle maps the state ``(Pcⁿ, Pcⁿ⁻¹)`` affinely,
        ``s ↦ A s + c``; its fixed point ``(I − A)⁻¹ c`` is the periodic state. Restarting the
        next cycle from it removes the slow ``Rd·C`` transient of the Windkessels, which
        otherwise takes several cycles to decay.
        """
        q = np.asarray(q_cycle_m3_s, float)
        change = np.zeros(len(self.outlets))
        a0, a1, a2 = BDF[2]
        for i, o in enumerate(self.outlets):
            wk = o.windkessel
            if wk is None:
                continue
            g = 1.0 / (a0 * wk.c_m3_per_pa / dt_s + 1.0 / wk.rd_pa_s_per_m3)

            def cycle(s0, forced=True):
                pc, prev = s0
                for qn in q[:, i]:
                    drive = (qn + wk.pd_pa / wk.rd_pa_s_per_m3) if forced else 0.0
                    pc, prev = g * (drive - wk.c_m3_per_pa * (a1 * pc + a2 * prev) / dt_s), pc
                return np.array([pc, prev])

            c = cycle((0.0, 0.0))
            A = np.column_stack([cycle((1.0, 0.0), False), cycle((0.0, 1.0), False)])
            fixed = np.linalg.solve(np.eye(2) - A, c)
            change[i] = fixed[0] - self.pc[i]
            self.pc[i], self.pc_prev[i] = fixed
            self.pressure[i] += change[i]
        return change

    def state(self) -> dict[str, np.ndarray]:
        return {"pc": self.pc.copy(), "pc_prev": self.pc_prev.copy(),
                "pressure": self.pressure.copy()}

    def restore(self, state: dict[str, np.ndarray]) -> None:
        self.pc = np.asarray(state["pc"], float).copy()
        self.pc_prev = np.asarray(state["pc_prev"], float).copy()
        self.pressure = np.asarray(state["pressure"], float).copy()
