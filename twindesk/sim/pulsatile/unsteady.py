"""Unsteady incompressible Navier–Stokes by BDF2 in time, Taylor–Hood P2/P1 in space.

The spatial discretisation, the boundary data and the linear solvers are those of the steady
solver (:mod:`twindesk.sim.flow`); time stepping adds the mass term. Each step is the
*linearly implicit* BDF2 scheme with second-order extrapolation of the advecting velocity
(one Oseen solve per step, no nonlinear iterations; e.g. Karniadakis, Israeli & Orszag,
J Comput Phys 1991;97:414–443 for the extrapolation; Elman, Silvester & Wathen, *Finite
Elements and Fast Iterative Solvers*, 2nd ed. 2014, §9.4 for the Oseen form of each step)::

    ρ (a0 uⁿ⁺¹ + a1 uⁿ + a2 uⁿ⁻¹)/Δt + ρ (w·∇)uⁿ⁺¹ − μ Δuⁿ⁺¹ + ∇pⁿ⁺¹ = 0,   ∇·uⁿ⁺¹ = 0,
    w = 2uⁿ − uⁿ⁻¹   (BDF2: a = 3/2, −2, 1/2)   or   w = uⁿ   (BDF1 first step: a = 1, −1, 0).

The streamline-diffusion stabilisation of the steady forms is kept with the time-step term
added to its parameter, ``τ = (τ_steady⁻² + (2/Δt)²)^(−1/2)`` (Shakib, Hughes & Johan,
Comput Methods Appl Mech Eng 1991;89:141–219). Outlets carry three-element Windkessels
coupled implicitly (:mod:`twindesk.sim.pulsatile.windkessel`) and the velocity-penalty
backflow stabilisation of the steady solver. The inlet velocity is prescribed at every
time level by a callable (profile × the 0D model's valve flow, or an analytic profile).

SI units throughout (m, s, kg/m³, Pa·s, Pa, m³/s).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from skfem import BilinearForm
from skfem.helpers import grad

from twindesk.errors import InputError, SolverError
from twindesk.sim.flow import forms, linear
from twindesk.sim.flow.bc import flux_vectors
from twindesk.sim.flow.domain import FlowDomain
from twindesk.sim.flow.steady import DIRECT_MAX_TETS
from twindesk.sim.pulsatile.windkessel import BDF, OutletRCR, RCRBank


@dataclass(frozen=True)
class UnsteadyParams:
    """Time step, fluid and solver settings of a pulsatile run (SI units)."""

    dt_s: float
    density_kg_per_m3: float = 1060.0
    viscosity_pa_s: float = 0.0035
    streamline_diffusion: float = 1.0
    backflow_beta: float = 1.0
    solver: str = "auto"  # "auto" | "direct" | "krylov"
    linear_rtol: float = 1e-8
    #: Rebuild the AMG preconditioner at least this often (steps); it is also rebuilt when
    #: the Krylov iterations grow to 1.5× those right after the last rebuild.
    rebuild_every: int = 10


def tau_unsteady(w: dict, dt_s: float) -> np.ndarray:
    """Streamline-diffusion parameter (s) at the quadrature points with the time-step term
    (module docstring); ``w`` holds ``w0..w2`` (advecting velocity), ``h``, ``mu``, ``rho``."""
    tau_s = forms.element_tau(w)
    return 1.0 / np.sqrt(tau_s ** -2 + (2.0 / dt_s) ** 2)


@BilinearForm
def _convective(u, v, w):
    """ρ (w·∇u) v + τ ρ (w·∇u)(w·∇v): the part of the momentum operator that changes each
    step (the viscous and mass parts are assembled once); ``w["tau"]`` is precomputed."""
    wgu = forms._wdotgrad(w, grad(u))
    return w["rho"] * wgu * (v + w["tau"] * forms._wdotgrad(w, grad(v)))


@dataclass
class StepStats:
    t_s: float
    order: int
    linear_iterations: int
    residual: float
    seconds: float
    rebuilt: bool


class UnsteadySolver:
    """State and stepping of a pulsatile solve on ``domain``.

    Parameters
    ----------
    domain
        The flow domain (mesh in m, labelled regions).
    params
        Time step, fluid, solver.
    outlets
        One :class:`OutletRCR` per outlet region (missing outlets are traction-free).
    inlet
        ``inlet(t_s) -> (3, len(domain.inlet_dofs))`` inlet velocity (m/s) at time ``t_s``.
    pc0_pa
        Initial Windkessel capacitor pressure(s) (Pa).
    t0_s
        Time of the initial state.
    """

    def __init__(self, domain: FlowDomain, params: UnsteadyParams, outlets: list[OutletRCR],
                 inlet: Callable[[float], np.ndarray], pc0_pa=0.0, t0_s: float = 0.0):
        from skfem import asm

        if not params.dt_s > 0:
            raise InputError(f"time step {params.dt_s} s must be positive",
                             "use more steps per cycle")
        if params.solver not in ("auto", "direct", "krylov"):
            raise InputError(f"flow solver '{params.solver}' unknown",
                             "use auto, direct or krylov")
        self.d, self.prm, self.inlet = domain, params, inlet
        d = domain
        by_id = {o.region_id: o for o in outlets}
        unknown = set(by_id) - {r.id for r in d.outlets}
        if unknown:
            raise InputError(f"outlet condition for region(s) {sorted(unknown)}: no such outlet",
                             "name outlets by their region_id from the mesh boundary")
        self.bank = RCRBank([by_id.get(r.id, OutletRCR(r.id)) for r in d.outlets], pc0_pa)
        self.I, self.Dd = d.free_dofs, d.dirichlet_dofs
        self.N2, self.N1 = d.basis_u.N, d.basis_p.N
        Dfull = [asm(forms.divergence_component, d.basis_u, d.basis_p, k=k).tocsr()
                 for k in range(3)]
        self.D_I = [D[:, self.I] for D in Dfull]
        self.D_D = [D[:, self.Dd] for D in Dfull]
        self.M = asm(forms.mass, d.basis_u).tocsr()
        self.A_visc = asm(forms.viscous, d.basis_u, mu=params.viscosity_pa_s).tocsr()
        self.flux = np.array([flux_vectors(d, d.facets[o.region_id]) for o in self.bank.outlets])
        self.outlet_fb = [d.facet_basis(d.facets[o.region_id]) for o in self.bank.outlets]
        self.coupled = np.array([o.windkessel is not None for o in self.bank.outlets])
        n_i = len(self.I)
        self.U = np.zeros((3 * n_i + self.N1, int(self.coupled.sum())))
        for j, i in enumerate(np.flatnonzero(self.coupled)):
            self.U[:3 * n_i, j] = np.concatenate([self.flux[i, k, self.I] for k in range(3)])
        nq = d.basis_u.X.shape[1]
        self.h = np.repeat(d.element_size_m[:, None], nq, axis=1)
        self.krylov = params.solver == "krylov" or (params.solver == "auto"
                                                    and d.n_tets > DIRECT_MAX_TETS)
        self.t = float(t0_s)
        self.u = np.zeros((3, self.N2))
        self.u[:, d.inlet_dofs] = inlet(self.t)
        self.u_prev: np.ndarray | None = None
        self.p = np.zeros(self.N1)
        self.steps = 0
        self._precond = None
        self._precond_age = 0
        self._precond_iters = 0
        self._x = None
        self._x_prev = None

    # ------------------------------------------------------------------ state
    def set_initial(self, u: np.ndarray, u_prev: np.ndarray | None = None,
                    p: np.ndarray | None = None) -> None:
        """Start from a given velocity (and the one a step earlier, which enables BDF2 from
        the first step)."""
        self.u = np.array(u, float)
        self.u_prev = None if u_prev is None else np.array(u_prev, float)
        if p is not None:
            self.p = np.array(p, float)

    def state(self) -> dict[str, np.ndarray]:
        """Everything needed to continue exactly (for checkpoints)."""
        out = {"u": self.u, "p": self.p, "t": np.array(self.t), "steps": np.array(self.steps),
               **{f"rcr_{k}": v for k, v in self.bank.state().items()}}
        if self.u_prev is not None:
            out["u_prev"] = self.u_prev
        return out

    def restore(self, state: dict[str, np.ndarray]) -> None:
        if state["u"].shape != self.u.shape or state["p"].shape != self.p.shape:
            raise InputError("checkpoint does not match this mesh",
                             "start the run afresh (without --resume)")
        self.u = np.array(state["u"], float)
        self.p = np.array(state["p"], float)
        self.u_prev = np.array(state["u_prev"], float) if "u_prev" in state else None
        self.t = float(state["t"])
        self.steps = int(state["steps"])
        self.bank.restore({k[4:]: v for k, v in state.items() if k.startswith("rcr_")})
        self._x = self._x_prev = None

    # ------------------------------------------------------------------ stepping
    def outlet_flows(self, u: np.ndarray | None = None) -> np.ndarray:
        """Outward flow (m³/s) through each outlet."""
        u = self.u if u is None else u
        return np.einsum("okn,kn->o", self.flux, u)

    def _advecting(self, w: np.ndarray, basis) -> dict:
        return {f"w{k}": basis.interpolate(w[k]) for k in range(3)}

    def step(self) -> StepStats:
        """Advance one time step; returns its statistics. Raises :class:`SolverError` on
        non-finite values."""
        from skfem import asm

        t0 = time.perf_counter()
        d, prm = self.d, self.prm
        order = 2 if self.u_prev is not None else 1
        a0, a1, a2 = BDF[order]
        dt, rho = prm.dt_s, prm.density_kg_per_m3
        w = 2.0 * self.u - self.u_prev if order == 2 else self.u
        adv = self._advecting(w, d.basis_u)
        tau = prm.streamline_diffusion * tau_unsteady(
            {**{k: np.asarray(v) for k, v in adv.items()}, "h": self.h, "mu": prm.viscosity_pa_s,
             "rho": rho}, dt)
        C = asm(_convective, d.basis_u, rho=rho, tau=tau, **adv)
        K = (rho * a0 / dt) * self.M + self.A_visc + C
        if prm.backflow_beta > 0:
            for fb in self.outlet_fb:
                K = K + asm(forms.backflow, fb, beta=prm.backflow_beta, rho=rho,
                            **self._advecting(w, fb))
        K = K.tocsr()
        KI = K[self.I]
        K_II, K_ID = KI[:, self.I].tocsr(), KI[:, self.Dd]
        r_eff, p_ref = self.bank.coefficients(dt, order)
        t_new = self.t + dt
        uD = np.zeros((3, self.N2))
        uD[:, d.inlet_dofs] = self.inlet(t_new)
        hist = a1 * self.u + (a2 * self.u_prev if order == 2 else 0.0)
        f = -(rho / dt) * (self.M @ hist.T).T - np.einsum("o,okn->kn", p_ref, self.flux)
        n_i = len(self.I)
        b = np.empty(3 * n_i + self.N1)
        for k in range(3):
            b[k * n_i:(k + 1) * n_i] = f[k, self.I] - K_ID @ uD[k, self.Dd]
        b[3 * n_i:] = -sum(self.D_D[k] @ uD[k, self.Dd] for k in range(3))
        system = linear.OseenSystem(K_II, self.D_I, self.U, r_eff[self.coupled])
        x, iters, res, rebuilt = self._solve(system, b)
        if not np.all(np.isfinite(x)):
            raise SolverError(f"pulsatile flow: non-finite values at t = {t_new:.4f} s",
                              "use more time steps per cycle or refine the mesh")
        u_new = uD
        for k in range(3):
            u_new[k, self.I] = x[k * n_i:(k + 1) * n_i]
        self.u_prev, self.u = self.u, u_new
        self.p = x[3 * n_i:].copy()
        self.bank.advance(self.outlet_flows(u_new), dt, order)
        self.t, self.steps = t_new, self.steps + 1
        self._x_prev, self._x = self._x, x
        return StepStats(t_new, order, iters, res, time.perf_counter() - t0, rebuilt)

    def _guess(self):
        """Initial guess of the Krylov solve: linear extrapolation of the last two steps."""
        if self._x is None or self._x_prev is None:
            return self._x
        return 2.0 * self._x - self._x_prev

    def _solve(self, system, b):
        prm = self.prm
        if not self.krylov:
            return self._solve_lu(system, b)
        rebuilt = False
        if (self._precond is None or self._precond_age >= prm.rebuild_every):
            self._precond = linear.BlockPreconditioner(system)
            self._precond_age, rebuilt = 0, True
        else:
            self._precond.system = system  # products with the current operator (LSC)
        try:
            x, stats = linear.solve_krylov(system, b, self._precond, self._guess(),
                                           prm.linear_rtol)
        except SolverError:
            if rebuilt:
                raise
            self._precond, rebuilt = linear.BlockPreconditioner(system), True
            self._precond_age = 0
            x, stats = linear.solve_krylov(system, b, self._precond, self._guess(),
                                           prm.linear_rtol)
        if rebuilt:
            self._precond_iters = stats.iterations
        elif stats.iterations > 1.5 * max(self._precond_iters, 10):
            self._precond_age = prm.rebuild_every  # rebuild before the next step
        self._precond_age += 1
        return x, stats.iterations, stats.residual, rebuilt

    #: A sparse LU kept as the preconditioner of later steps is refactorised when GMRES
    #: needs more iterations than this, and at least every ``LU_REFACTOR_EVERY`` steps.
    LU_REUSE_MAX_ITERATIONS = 12
    LU_REFACTOR_EVERY = 50
    #: ... and GMRES gives up (the step refactorises at once) after this many iterations.
    LU_REUSE_GIVE_UP = 20

    def _solve_lu(self, system, b):
        """Direct path: SuperLU of a recent step's matrix (with the outlet terms by Woodbury)
        preconditions GMRES on this step's matrix; the operator changes only through the
        advecting velocity, so a few iterations suffice and the factorisation (the
        expensive part) is reused for many steps."""
        from pyamg.krylov import fgmres

        prm = self.prm
        if self._precond is None or self._precond_age >= self.LU_REFACTOR_EVERY:
            return self._refactor(system, b, 1)
        residuals: list[float] = []
        x, _ = fgmres(system.operator(), b, x0=self._x, tol=prm.linear_rtol,
                      restart=self.LU_REUSE_GIVE_UP, maxiter=1, M=self._precond,
                      residuals=residuals)
        res = float(np.linalg.norm(system.matvec(x) - b) / max(np.linalg.norm(b), 1e-300))
        iters = len(residuals) - 1
        if not np.isfinite(res) or res > 10 * prm.linear_rtol:
            return self._refactor(system, b, iters + 1)
        self._precond_age = (self.LU_REFACTOR_EVERY if iters > self.LU_REUSE_MAX_ITERATIONS
                             else self._precond_age + 1)
        return x, iters, res, False

    def _refactor(self, system, b, iters: int):
        from scipy.sparse.linalg import LinearOperator, splu

        try:
            lu = splu(system.sparse_matrix(), permc_spec="MMD_AT_PLUS_A")
        except RuntimeError as exc:  # singular factor
            raise SolverError(f"pulsatile flow: the linear system is singular ({exc})",
                              "check that every outlet is open and the inlet is labelled") \
                from None
        apply = linear.woodbury(lu.solve, system.U, system.R)
        self._precond = LinearOperator((system.size, system.size), matvec=apply, dtype=float)
        self._precond_age = 1
        x = apply(b)
        res = float(np.linalg.norm(system.matvec(x) - b) / max(np.linalg.norm(b), 1e-300))
        return x, iters, res, True
