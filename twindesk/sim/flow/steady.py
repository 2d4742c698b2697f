"""Steady incompressible Navier–Stokes, Taylor–Hood P2/P1, Picard then Newton iteration.

Rigid no-slip walls, a prescribed inlet flow (parabolic or plug profile), outlets with a
lumped resistance ``P_i = R_i Q_i + P_ref,i`` coupled implicitly (no lag: with outlet
resistances orders of magnitude above the 3D domain's, a lagged pressure diverges) and
backflow stabilisation. The first iterate is the Stokes solution (zero advecting velocity).

Nonlinear strategy: continuation in flow rate (levels chosen from the Stokes solution's
residual, which grows like the Reynolds number), Picard steps while the residual is large,
exact Newton steps (convection, streamline diffusion with its τ derivative, backflow) below
``newton_below``, each step backtracked while it does not lower the residual. Non-finite
values, a residual that grows by 10⁴ over its best value, a stall, or ``max_iterations``
without meeting ``tol`` raise :class:`SolverError`. No NaN leaves this module.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from twindesk.errors import InputError, SolverError
from twindesk.jobs import CancelToken, null_progress
from twindesk.sim.flow import forms, linear
from twindesk.sim.flow.assembly import FacetAssembler, P2Assembler
from twindesk.sim.flow.bc import flux_vectors, inlet_velocity
from twindesk.sim.flow.domain import FlowDomain

#: Meshes with fewer tetrahedra use the direct solver under ``solver="auto"`` (SuperLU is
#: already slower than the preconditioned Krylov solver at 5,760 tetrahedra, see
#: :mod:`twindesk.sim.flow.linear`; it stays for tiny meshes where it is exact and instant).
DIRECT_MAX_TETS = 1500


@dataclass(frozen=True)
class OutletBC:
    """Steady outlet condition: ``P = R Q + pressure_ref_pa`` (Q outward, m³/s)."""

    region_id: int
    resistance_pa_s_per_m3: float = 0.0
    pressure_ref_pa: float = 0.0


@dataclass(frozen=True)
class SteadyFlowParams:
    """Parameters of a steady solve (SI units)."""

    inflow_m3_per_s: float
    outlets: tuple[OutletBC, ...] = ()
    density_kg_per_m3: float = 1060.0
    viscosity_pa_s: float = 0.0035
    inlet_profile: str = "parabolic"
    streamline_diffusion: float = 1.0
    backflow_beta: float = 1.0
    solver: str = "auto"  # "auto" | "direct" | "krylov"
    tol: float = 1e-5
    max_iterations: int = 60
    #: Switch from Picard to Newton once the relative residual is below this (0: never).
    newton_below: float = 2.0


@dataclass
class SteadyFlowResult:
    """Velocity (3, N_P2) in m/s at P2 dofs, pressure (N_P1,) in Pa at vertices."""

    velocity_m_s: np.ndarray
    pressure_pa: np.ndarray
    converged: bool
    iterations: int
    residuals: list[float]
    linear_iterations: list[int]
    outlet_flow_m3_s: dict[int, float]
    outlet_pressure_pa: dict[int, float]
    inflow_m3_s: float
    seconds: float
    solver: str
    timings_s: dict[str, float] = field(default_factory=dict)
    flow_levels: list[float] = field(default_factory=lambda: [1.0])


class _Assembler:
    """Holds what does not change between Picard steps."""

    def __init__(self, domain: FlowDomain, params: SteadyFlowParams):
        from skfem import asm

        d = domain
        self.d, self.prm = d, params
        self.I, self.Dd = d.free_dofs, d.dirichlet_dofs
        N2, N1 = d.basis_u.N, d.basis_p.N
        self.N2, self.N1 = N2, N1
        Dfull = [asm(forms.divergence_component, d.basis_u, d.basis_p, k=k).tocsr()
                 for k in range(3)]
        self.D_I = [D[:, self.I] for D in Dfull]
        self.D_D = [D[:, self.Dd] for D in Dfull]
        self.uD_full = np.zeros((3, N2))
        self.uD_full[:, d.inlet_dofs] = inlet_velocity(d, params.inflow_m3_per_s,
                                                       params.inlet_profile)
        self.uD = self.uD_full
        bc_by_id = {o.region_id: o for o in params.outlets}
        unknown = set(bc_by_id) - {r.id for r in d.outlets}
        if unknown:
            raise InputError(f"outlet condition for region(s) {sorted(unknown)}: no such outlet",
                             "name outlets by their region_id from the mesh boundary")
        self.outlets = [bc_by_id.get(r.id, OutletBC(r.id)) for r in d.outlets]
        self.flux = {o.region_id: flux_vectors(d, d.facets[o.region_id]) for o in self.outlets}
        self.outlet_fa = {o.region_id: FacetAssembler(d.facet_basis(d.facets[o.region_id]))
                          for o in self.outlets}
        resistive = [o for o in self.outlets if o.resistance_pa_s_per_m3 > 0]
        n_i = len(self.I)
        U = np.zeros((3 * n_i + N1, len(resistive)))
        for j, o in enumerate(resistive):
            c = self.flux[o.region_id]
            U[:3 * n_i, j] = np.concatenate([c[k, self.I] for k in range(3)])
        self.U = U
        self.R = np.array([o.resistance_pa_s_per_m3 for o in resistive])
        # Reference pressures act as a fixed traction: rhs -= P_ref c_k.
        self.f_ref = np.zeros((3, N2))
        for o in self.outlets:
            self.f_ref -= o.pressure_ref_pa * self.flux[o.region_id]
        nq = d.basis_u.X.shape[1]
        self.h = np.repeat(d.element_size_m[:, None], nq, axis=1)
        self.fast = P2Assembler(d.basis_u)
        self.krylov = self._want_krylov()

    def _want_krylov(self) -> bool:
        s = self.prm.solver
        if s not in ("auto", "direct", "krylov"):
            raise InputError(f"flow solver '{s}' unknown", "use auto, direct or krylov")
        return s == "krylov" or (s == "auto" and self.d.n_tets > DIRECT_MAX_TETS)

    def system(self, u: np.ndarray) -> tuple[linear.OseenSystem, np.ndarray]:
        """Oseen system at advecting velocity ``u`` (3, N2) and its right-hand side."""
        d, prm = self.d, self.prm
        W = np.array([self.fast.interpolate(u[k]) for k in range(3)])
        K = self.fast.oseen(W, prm.viscosity_pa_s, prm.density_kg_per_m3,
                            prm.streamline_diffusion, self.h)
        if prm.backflow_beta > 0:
            for fa in self.outlet_fa.values():
                K = K + fa.backflow(u, prm.backflow_beta, prm.density_kg_per_m3)[0]
        K = K.tocsr()
        KI = K[self.I]
        K_II, K_ID = KI[:, self.I].tocsr(), KI[:, self.Dd]
        n_i = len(self.I)
        b = np.empty(3 * n_i + self.N1)
        for k in range(3):
            b[k * n_i:(k + 1) * n_i] = self.f_ref[k, self.I] - K_ID @ self.uD[k, self.Dd]
        b[3 * n_i:] = -sum(self.D_D[k] @ self.uD[k, self.Dd] for k in range(3))
        return linear.OseenSystem(K_II, self.D_I, self.U, self.R), b

    def set_flow_fraction(self, fraction: float) -> None:
        """Scale the inlet velocity (continuation in flow rate)."""
        self.uD = self.uD_full * fraction
        self.fraction = fraction

    #: Norm of the Stokes right-hand side at the full flow (set by the solver). Residuals are
    #: measured against it (scaled to the current flow): it grows like Q, while the
    #: convective lifting in the Oseen right-hand side grows like Q² and would hide the
    #: nonlinearity.
    b0_norm_full: float = 1.0
    fraction: float = 1.0

    def residual_scale(self) -> float:
        return max(self.b0_norm_full * self.fraction, 1e-300)

    def newton_blocks(self, u: np.ndarray) -> list:
        """Newton blocks C[k][j] on the free dofs (see :meth:`P2Assembler.newton`)."""
        grads = [self.fast.interpolate_grad(u[k]) for k in range(3)]
        W = np.array([self.fast.interpolate(u[k]) for k in range(3)])
        prm = self.prm
        blocks = self.fast.newton(W, grads, prm.viscosity_pa_s, prm.density_kg_per_m3,
                                  prm.streamline_diffusion, self.h)
        if prm.backflow_beta > 0:
            for fa in self.outlet_fa.values():
                bf = fa.backflow(u, prm.backflow_beta, prm.density_kg_per_m3)[1]
                for k in range(3):
                    for j in range(3):
                        blocks[k][j] = blocks[k][j] + bf[k][j]
        return [[C.tocsr()[self.I][:, self.I].tocsr() for C in row] for row in blocks]

    def reduce(self, u: np.ndarray, p: np.ndarray) -> np.ndarray:
        return np.concatenate([u[0, self.I], u[1, self.I], u[2, self.I], p])

    def expand(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n_i = len(self.I)
        u = self.uD.copy()
        for k in range(3):
            u[k, self.I] = x[k * n_i:(k + 1) * n_i]
        return u, x[3 * n_i:].copy()


def solve_steady(domain: FlowDomain, params: SteadyFlowParams, progress=None,
                 cancel: CancelToken | None = None) -> SteadyFlowResult:
    """Solve steady Navier–Stokes on ``domain``; see the module docstring."""
    from threadpoolctl import threadpool_limits

    # Single-threaded BLAS: the Krylov solver's vector operations are small and threaded
    # OpenBLAS oversubscribes a busy 2-core machine (measured 4× slower: 56 s vs 15 s for the
    # same FGMRES solve of a 10k-tet tube).
    with threadpool_limits(limits=1, user_api="blas"):
        return _solve_steady(domain, params, progress, cancel)


@dataclass
class _Trace:
    residuals: list[float] = field(default_factory=list)
    linear_iterations: list[int] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=lambda: {"assembly": 0.0, "linear": 0.0})


def _linear_solve(asmb: _Assembler, system, rhs, x0, rtol: float, trace: _Trace,
                  maxiter: int = 600):
    tl = time.perf_counter()
    if asmb.krylov:
        # A fresh AMG hierarchy each step: one built for the Stokes operator fails on Oseen.
        x, stats = linear.solve_krylov(system, rhs, linear.BlockPreconditioner(system), x0, rtol,
                                       maxiter=maxiter, restart=min(200, maxiter))
    else:
        x, stats = linear.solve_direct(system, rhs)
    trace.timings["linear"] += time.perf_counter() - tl
    trace.linear_iterations.append(stats.iterations)
    if not np.all(np.isfinite(x)):
        raise SolverError("flow solve: the linear solve produced non-finite values",
                          "lower the flow rate or refine the mesh")
    return x


def _iterate(asmb: _Assembler, x: np.ndarray, tol: float, max_iterations: int,
             newton_below: float, trace: _Trace, progress, cancel) -> tuple[np.ndarray, bool]:
    """Picard steps, then Newton steps once the residual is below ``newton_below``, from the
    iterate ``x`` until the relative residual is below ``tol``. Each step is backtracked
    (halved up to three times) while it does not lower the residual."""
    residuals: list[float] = []
    x_prev = delta = None
    res_prev, step = np.inf, 1.0
    for it in range(max_iterations + 1):
        cancel.check()
        u, _ = asmb.expand(x)
        ta = time.perf_counter()
        system, b = asmb.system(u)
        trace.timings["assembly"] += time.perf_counter() - ta
        r_vec = b - system.matvec(x)  # the Navier–Stokes residual of the current iterate
        res = float(np.linalg.norm(r_vec) / asmb.residual_scale())
        if not np.isfinite(res) and delta is None:
            raise SolverError(f"flow solve: non-finite residual at iteration {it}",
                              "lower the flow rate or refine the mesh")
        if delta is not None and not res < res_prev * (1 - 1e-4 * step) and step > 0.125:
            step *= 0.5  # backtrack along the same direction
            x = x_prev + step * delta
            continue
        residuals.append(res)
        trace.residuals.append(res)
        progress(min(1.0, max(0.0, np.log10(max(res, 1e-30)) / np.log10(tol))) if res < 1 else 0.0,
                 f"iteration {len(trace.residuals)}: residual {res:.1e}")
        if res < tol:
            return x, True
        best = min(residuals)
        if not np.isfinite(res) or res > 1e4 * best or (
                len(residuals) > 12 and res > 0.95 * residuals[-6] and res > 1e3 * tol):
            raise SolverError(
                f"flow solve diverged or stalled: residual {res:.2e} at iteration "
                f"{len(trace.residuals)} (best {best:.2e})",
                "the flow is too fast for a steady laminar solve on this mesh: refine the mesh "
                "or use the mean flow instead of the peak flow")
        if it == max_iterations:
            break
        delta = None
        if res < newton_below:
            ta = time.perf_counter()
            system.C = asmb.newton_blocks(u)
            trace.timings["assembly"] += time.perf_counter() - ta
            try:
                delta = _linear_solve(asmb, system, r_vec, None, 0.05, trace, maxiter=150)
            except SolverError:
                # The Picard-based preconditioner can fail on a Newton Jacobian far from the
                # solution; a Picard step still makes progress.
                system.C = None
        if delta is None:
            rtol = min(1e-3, max(1e-9, 0.05 * res))
            delta = _linear_solve(asmb, system, b, x, rtol, trace) - x
        x_prev, res_prev, step = x, res, 1.0
        x = x + delta
    return x, False


#: Continuation: start at a flow whose first Navier–Stokes residual is about this, then double.
RAMP_START_RESIDUAL = 2.0
RAMP_FACTOR = 2.5
RAMP_LEVEL_TOL = 1e-2


def _solve_steady(domain: FlowDomain, params: SteadyFlowParams, progress=None,
                  cancel: CancelToken | None = None) -> SteadyFlowResult:
    progress = progress or null_progress
    cancel = cancel or CancelToken()
    if not params.inflow_m3_per_s > 0 or not np.isfinite(params.inflow_m3_per_s):
        raise InputError(f"inflow {params.inflow_m3_per_s} m³/s must be positive",
                         "give a positive flow rate")
    t0 = time.perf_counter()
    progress(0.0, "assembling")
    asmb = _Assembler(domain, params)
    trace = _Trace()
    trace.timings["setup"] = time.perf_counter() - t0
    # Stokes solve (zero advecting velocity) at the full flow.
    system, b = asmb.system(np.zeros_like(asmb.uD))
    asmb.b0_norm_full = float(np.linalg.norm(b))
    # The Stokes solution only starts the iteration: a loose tolerance is enough.
    x = _linear_solve(asmb, system, b, None, 1e-4, trace)
    progress(0.1, "Stokes solution")
    u, _ = asmb.expand(x)
    system, b = asmb.system(u)
    r1 = float(np.linalg.norm(b - system.matvec(x)) / asmb.residual_scale())
    # Convection grows like Q² against viscosity's Q, so r1 ∝ Q: choose the first level so
    # its residual is about RAMP_START_RESIDUAL, then raise the flow by RAMP_FACTOR per level up to the target.
    levels = [1.0]
    if r1 > RAMP_START_RESIDUAL:
        f = RAMP_START_RESIDUAL / r1
        levels = []
        while f < 1.0:
            levels.append(f)
            f *= RAMP_FACTOR
        levels.append(1.0)
    converged, prev = False, 1.0
    for i, frac in enumerate(levels):
        last = i == len(levels) - 1
        asmb.set_flow_fraction(frac)
        x = x * (frac / prev)
        prev = frac
        span = (0.1 + 0.85 * i / len(levels), 0.1 + 0.85 * (i + 1) / len(levels))
        sub = lambda f, m="", a=span: progress(a[0] + (a[1] - a[0]) * f,
                                                m + (f" (flow {frac:.0%})" if frac < 1 else ""))
        x, converged = _iterate(asmb, x, params.tol if last else RAMP_LEVEL_TOL,
                                params.max_iterations, params.newton_below, trace, sub, cancel)
        if not converged and not last:
            raise SolverError(
                f"flow solve did not converge at {frac:.0%} of the flow "
                f"(residual {trace.residuals[-1]:.2e})",
                "the flow is too fast for a steady laminar solve on this mesh: refine it or use "
                "the mean flow")
    if not converged:
        raise SolverError(
            f"flow solve did not converge in {params.max_iterations} iterations "
            f"(residual {trace.residuals[-1]:.2e} > {params.tol:.0e})",
            "the flow is too fast for a steady laminar solve on this mesh: refine it or use "
            "the mean flow")
    u, p = asmb.expand(x)
    flows = {o.region_id: float(sum(asmb.flux[o.region_id][k] @ u[k] for k in range(3)))
             for o in asmb.outlets}
    pressures = {o.region_id: o.resistance_pa_s_per_m3 * flows[o.region_id] + o.pressure_ref_pa
                 for o in asmb.outlets}
    progress(1.0, "solved")
    return SteadyFlowResult(u, p, converged, len(trace.residuals), trace.residuals,
                            trace.linear_iterations, flows, pressures, params.inflow_m3_per_s,
                            time.perf_counter() - t0, "krylov" if asmb.krylov else "direct",
                            trace.timings, levels)
