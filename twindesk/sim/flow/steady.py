"""Steady incompressible Navier–Stokes by Picard (Oseen) iteration, Taylor–Hood P2/P1.

Rigid no-slip walls, a prescribed inlet flow (parabolic or plug profile), outlets with a
lumped resistance ``P_i = R_i Q_i + P_ref,i`` coupled implicitly (no lag: with outlet
resistances orders of magnitude above the 3D domain's, a lagged pressure diverges) and
backflow stabilisation. The first iterate is the Stokes solution (zero advecting velocity).

A step whose nonlinear residual grows is under-relaxed (ω halves, down to 0.2). Non-finite
values or a residual that grows by 10⁴ over its best value raise :class:`SolverError`; so
does reaching ``max_iterations`` without meeting ``tol``. No NaN leaves this module.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from twindesk.errors import InputError, SolverError
from twindesk.jobs import CancelToken, null_progress
from twindesk.sim.flow import forms, linear
from twindesk.sim.flow.bc import flux_vectors, inlet_velocity
from twindesk.sim.flow.domain import FlowDomain

#: Meshes with fewer tetrahedra use the direct solver under ``solver="auto"``.
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
        self.uD = np.zeros((3, N2))
        self.uD[:, d.inlet_dofs] = inlet_velocity(d, params.inflow_m3_per_s, params.inlet_profile)
        bc_by_id = {o.region_id: o for o in params.outlets}
        unknown = set(bc_by_id) - {r.id for r in d.outlets}
        if unknown:
            raise InputError(f"outlet condition for region(s) {sorted(unknown)}: no such outlet",
                             "name outlets by their region_id from the mesh boundary")
        self.outlets = [bc_by_id.get(r.id, OutletBC(r.id)) for r in d.outlets]
        self.flux = {o.region_id: flux_vectors(d, d.facets[o.region_id]) for o in self.outlets}
        self.outlet_fb = {o.region_id: d.facet_basis(d.facets[o.region_id]) for o in self.outlets}
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
        self.krylov = self._want_krylov()

    def _want_krylov(self) -> bool:
        s = self.prm.solver
        if s not in ("auto", "direct", "krylov"):
            raise InputError(f"flow solver '{s}' unknown", "use auto, direct or krylov")
        return s == "krylov" or (s == "auto" and self.d.n_tets > DIRECT_MAX_TETS)

    def advecting(self, u: np.ndarray, basis) -> dict:
        return {f"w{k}": basis.interpolate(u[k]) for k in range(3)}

    def system(self, u: np.ndarray) -> tuple[linear.OseenSystem, np.ndarray]:
        """Oseen system at advecting velocity ``u`` (3, N2) and its right-hand side."""
        from skfem import asm

        d, prm = self.d, self.prm
        w = self.advecting(u, d.basis_u)
        K = asm(forms.oseen, d.basis_u, mu=prm.viscosity_pa_s, rho=prm.density_kg_per_m3,
                sd=prm.streamline_diffusion, h=self.h, **w)
        if prm.backflow_beta > 0:
            for fb in self.outlet_fb.values():
                K = K + asm(forms.backflow, fb, beta=prm.backflow_beta,
                            rho=prm.density_kg_per_m3, **self.advecting(u, fb))
        K = K.tocsr()
        KI = K[self.I]
        K_II, K_ID = KI[:, self.I].tocsr(), KI[:, self.Dd]
        n_i = len(self.I)
        b = np.empty(3 * n_i + self.N1)
        for k in range(3):
            b[k * n_i:(k + 1) * n_i] = self.f_ref[k, self.I] - K_ID @ self.uD[k, self.Dd]
        b[3 * n_i:] = -sum(self.D_D[k] @ self.uD[k, self.Dd] for k in range(3))
        return linear.OseenSystem(K_II, self.D_I, self.U, self.R), b

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
    progress = progress or null_progress
    cancel = cancel or CancelToken()
    if not params.inflow_m3_per_s > 0 or not np.isfinite(params.inflow_m3_per_s):
        raise InputError(f"inflow {params.inflow_m3_per_s} m³/s must be positive",
                         "give a positive flow rate")
    t0 = time.perf_counter()
    progress(0.0, "assembling")
    asmb = _Assembler(domain, params)
    use_krylov = asmb.krylov
    timings = {"setup": time.perf_counter() - t0, "assembly": 0.0, "linear": 0.0}
    u = asmb.uD.copy()
    p = np.zeros(asmb.N1)
    x = None
    residuals: list[float] = []
    lin_iters: list[int] = []
    omega, converged = 1.0, False
    for it in range(params.max_iterations + 1):
        cancel.check()
        ta = time.perf_counter()
        system, b = asmb.system(u if it > 0 else np.zeros_like(u))
        timings["assembly"] += time.perf_counter() - ta
        if it > 0:
            res = float(np.linalg.norm(system.matvec(x) - b) / max(np.linalg.norm(b), 1e-300))
            if not np.isfinite(res):
                raise SolverError(f"flow solve: non-finite residual at iteration {it}",
                                  "lower the flow rate or refine the mesh")
            residuals.append(res)
            progress(min(0.95, 0.1 + 0.85 * max(0.0, np.log10(max(res, 1e-30)) /
                                                 np.log10(params.tol) if res < 1 else 0.0)),
                     f"iteration {it}: residual {res:.1e}")
            if res < params.tol:
                converged = True
                break
            best = min(residuals)
            if res > 1e4 * best or (it > 8 and res > 0.99 * residuals[-2] and omega <= 0.2
                                     and res > 1e3 * params.tol):
                raise SolverError(
                    f"flow solve diverged: Picard residual {res:.2e} at iteration {it} "
                    f"(best {best:.2e})",
                    "the flow is too fast for a steady laminar solve on this mesh: refine "
                    "the mesh or use the mean flow instead of the peak flow")
            if len(residuals) > 1 and res > residuals[-2]:
                omega = max(0.2, 0.5 * omega)
            if it == params.max_iterations:
                break
        tl = time.perf_counter()
        if use_krylov:
            # A fresh AMG hierarchy each step: one built for the Stokes operator fails on Oseen.
            pre = linear.BlockPreconditioner(system)
            rtol = 1e-8 if not residuals else min(1e-3, max(1e-9, 0.05 * residuals[-1]))
            xn, stats = linear.solve_krylov(system, b, pre, x, rtol)
        else:
            xn, stats = linear.solve_direct(system, b)
        timings["linear"] += time.perf_counter() - tl
        lin_iters.append(stats.iterations)
        if not np.all(np.isfinite(xn)):
            raise SolverError(f"flow solve: non-finite values at iteration {it}",
                              "lower the flow rate or refine the mesh")
        x = xn if x is None or omega == 1.0 else omega * xn + (1 - omega) * x
        u, p = asmb.expand(x)
    if not converged:
        raise SolverError(
            f"flow solve did not converge in {params.max_iterations} Picard iterations "
            f"(residual {residuals[-1]:.2e} > {params.tol:.0e})",
            "the flow is too fast for a steady laminar solve on this mesh: refine it or use "
            "the mean flow")
    flows = {o.region_id: float(sum(asmb.flux[o.region_id][k] @ u[k] for k in range(3)))
             for o in asmb.outlets}
    pressures = {o.region_id: o.resistance_pa_s_per_m3 * flows[o.region_id] + o.pressure_ref_pa
                 for o in asmb.outlets}
    progress(1.0, "solved")
    return SteadyFlowResult(u, p, converged, len(residuals), residuals, lin_iters, flows,
                            pressures, params.inflow_m3_per_s, time.perf_counter() - t0,
                            "krylov" if use_krylov else "direct", timings)
