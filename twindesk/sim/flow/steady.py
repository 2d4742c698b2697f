"""Steady incompressible Navier–Stokes, Taylor–Hood P2/P1, Picard then Newton iteration.

Rigid no-slip walls, a prescribed inlet flow (parabolic or plug profile), outlets with a
lumped resistance ``P_i = R_i Q_i + P_ref,i`` coupled implicitly (no lag: with outlet
resistances orders of magnitude above the 3D domain's, a lagged pressure diverges) and
backflow stabilisation. The first iterate is the Stokes solution (zero advecting velocity).

Nonlinear strategy: continuation in flow rate (levels chosen from the Stokes solution's
residual, which grows like the Reynolds number), Picard steps while the residual is large
and for the first step from the Stokes solution, exact Newton steps (convection, streamline
diffusion with its τ derivative, backflow) below ``newton_below``, each step backtracked
while it does not lower the residual. Non-finite values, a residual that grows by 10⁴ over
its best value, a stall, or ``max_iterations`` without meeting ``tol`` raise
:class:`SolverError`. No NaN leaves this module.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from twindesk.errors import InputError, SolverError
from twindesk.jobs import CancelToken, null_progress
from twindesk.sim.flow import forms, linear
from twindesk.sim.flow.assembly import FacetAssembler, P2Assembler, Scatter, block_velocity_layout
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
    newton_below: float = 100.0


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
    """Holds what does not change between nonlinear steps: the divergence blocks, the
    viscous element matrices, the sparsity patterns on the free dofs and the outlet data."""

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
        self.G_I = [D.T.tocsr() for D in self.D_I]
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
        resistive = [o for o in self.outlets if o.resistance_pa_s_per_m3 > 0]
        n_i = len(self.I)
        U = np.zeros((3 * n_i + N1, len(resistive)))
        for j, o in enumerate(resistive):
            c = self.flux[o.region_id]
            U[:3 * n_i, j] = np.concatenate([c[k, self.I] for k in range(3)])
        self.U = U
        self.R = np.array([o.resistance_pa_s_per_m3 for o in resistive])
        # Reference pressures act as a fixed traction: rhs -= P_ref c_k. A pressure common to
        # all outlets only shifts the pressure field (the outlets are the only boundaries
        # without a prescribed velocity), so it is taken out here and added back to the result:
        # only differences between the outlets' reference pressures enter the solve.
        self.p_shift = float(np.mean([o.pressure_ref_pa for o in self.outlets])) \
            if self.outlets else 0.0
        f_ref = np.zeros((3, N2))
        for o in self.outlets:
            f_ref -= (o.pressure_ref_pa - self.p_shift) * self.flux[o.region_id]
        #: Their part of the right-hand side on the free dofs (velocity blocks, then pressure).
        self.b_ref = np.concatenate([f_ref[k, self.I] for k in range(3)] + [np.zeros(N1)])
        nq = d.basis_u.X.shape[1]
        self.h = np.repeat(d.element_size_m[:, None], nq, axis=1)
        self.fast = P2Assembler(d.basis_u)
        dofs = d.basis_u.element_dofs
        self.sc_II = Scatter(dofs, N2, self.I, self.I)
        self.sc_ID = Scatter(dofs, N2, self.I, self.Dd)
        self._newton_layout = None
        # Outlet backflow: facet entries and where they land in the two patterns.
        self.outlet_fa = []
        if params.backflow_beta > 0:
            for o in self.outlets:
                fa = FacetAssembler(d.facet_basis(d.facets[o.region_id]))
                self.outlet_fa.append((fa, self.sc_II.locate(fa.r, fa.c),
                                       self.sc_ID.locate(fa.r, fa.c)))
        self.krylov = self._want_krylov()

    def _want_krylov(self) -> bool:
        s = self.prm.solver
        if s not in ("auto", "direct", "krylov"):
            raise InputError(f"flow solver '{s}' unknown", "use auto, direct or krylov")
        return s == "krylov" or (s == "auto" and self.d.n_tets > DIRECT_MAX_TETS)

    def _W(self, u: np.ndarray) -> np.ndarray:
        return np.array([self.fast.interpolate(u[k]) for k in range(3)])

    def system(self, u: np.ndarray) -> tuple[linear.OseenSystem, np.ndarray]:
        """Oseen (Picard) system at advecting velocity ``u`` (3, N2) and its right-hand side."""
        prm = self.prm
        elem = self.fast.oseen_elements(self._W(u), prm.viscosity_pa_s, prm.density_kg_per_m3,
                                        prm.streamline_diffusion, self.h)
        dII, dID = self.sc_II.data(elem), self.sc_ID.data(elem)
        for fa, (ok_i, pos_i), (ok_d, pos_d) in self.outlet_fa:
            e = fa.backflow_entries(u, prm.backflow_beta, prm.density_kg_per_m3)
            np.add.at(dII, pos_i, e[ok_i])
            np.add.at(dID, pos_d, e[ok_d])
        K_II = sp.csr_matrix((dII, self.sc_II.indices, self.sc_II.indptr), self.sc_II.shape)
        K_ID = sp.csr_matrix((dID, self.sc_ID.indices, self.sc_ID.indptr), self.sc_ID.shape)
        n_i = len(self.I)
        b = self.fraction * self.b_ref
        for k in range(3):
            b[k * n_i:(k + 1) * n_i] -= K_ID @ self.uD[k, self.Dd]
        b[3 * n_i:] = -sum(self.D_D[k] @ self.uD[k, self.Dd] for k in range(3))
        return linear.OseenSystem(K_II, self.D_I, self.U, self.R, G=self.G_I), b

    def set_flow_fraction(self, fraction: float) -> None:
        """Scale the inlet velocity and the outlets' reference-pressure differences
        (continuation in flow rate: the Stokes solution is proportional to ``fraction``)."""
        self.uD = self.uD_full * fraction
        self.fraction = fraction

    #: Norm of the Stokes right-hand side's inflow lifting at the full flow (set by the
    #: solver). Residuals are measured against it, scaled to the current flow: it grows like
    #: Q, while the convective lifting in the Oseen right-hand side grows like Q² and would
    #: hide the nonlinearity. The traction of the outlets' reference pressures is not in it:
    #: 10 mmHg of distal pressure is a traction ~10⁴ times the lifting of a 5 L/min inflow,
    #: and measured against it the Stokes start at full flow looked converged to 1 %, so the
    #: flow-rate continuation was skipped and Newton stalled (demo aorta with a calibrated
    #: circulation, Re 1300), and a solve with unequal reference pressures stopped with 1.4 %
    #: of the inflow unaccounted for at the outlets.
    b_lift_norm_full: float = 1.0
    fraction: float = 1.0

    def residual_scale(self) -> float:
        return max(self.b_lift_norm_full * self.fraction, 1e-300)

    def newton_matrix(self, u: np.ndarray, K_II: sp.csr_matrix) -> sp.csr_matrix:
        """The whole Newton velocity block (3 n_I, 3 n_I) on the free dofs: ``K_II`` on the
        diagonal blocks plus the coupling C[k][j] (see :meth:`P2Assembler.newton_elements`)."""
        sc = self.sc_II
        if self._newton_layout is None:
            self._newton_layout = block_velocity_layout(sc.indptr, sc.indices, sc.shape[0])
        ptr, idx, slots = self._newton_layout
        prm = self.prm
        grads = [self.fast.interpolate_grad(u[k]) for k in range(3)]
        data = np.empty(len(idx))
        for k, j, elem in self.fast.newton_elements(self._W(u), grads, prm.viscosity_pa_s,
                                                    prm.density_kg_per_m3,
                                                    prm.streamline_diffusion, self.h):
            data[slots[k][j]] = sc.data(elem) + (K_II.data if k == j else 0.0)
        for fa, (ok_i, pos_i), _ in self.outlet_fa:
            blocks = fa.backflow_entries(u, prm.backflow_beta, prm.density_kg_per_m3, True)
            for k in range(3):
                for j in range(3):
                    np.add.at(data, slots[k][j][pos_i], blocks[k][j][ok_i])
        n = 3 * sc.shape[0]
        return sp.csr_matrix((data, idx, ptr), shape=(n, n))

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
    keep_freed_memory()
    with threadpool_limits(limits=1, user_api="blas"):
        return _solve_steady(domain, params, progress, cancel)


#: glibc ``mallopt`` parameters (malloc.h) and the values set by :func:`keep_freed_memory`.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_MMAP_THRESHOLD_BYTES = 256 * 2**20
_TRIM_THRESHOLD_BYTES = 1024 * 2**20


def keep_freed_memory() -> bool:
    """Let glibc's allocator serve large arrays from the heap and keep freed heap memory
    (for the rest of this process; the app runs each solve in its own child process).

    The nonlinear and Krylov loops allocate and free the same large temporaries thousands
    of times (vectors of 1–10 MB, element-matrix arrays of ~75 MB at 100k tetrahedra). By
    default glibc maps each block above its (adaptive, at most 32 MB) threshold from the
    kernel and unmaps it on free, so every reuse page-faults fresh zeroed pages in again.
    Measured on the 93k-tet aorta (``benchmarks/bench_flow.py``): 119.5 → 104.0 CPU-s with
    identical iterates (assembly 19.9 → 14.8, linear solves 93.4 → 83.7 CPU-s), peak
    resident memory 2.75 → 3.08 GB (freed blocks are kept for reuse). Returns whether the
    allocator accepted the setting; a no-op without glibc (Windows, macOS, musl).
    """
    import ctypes
    import ctypes.util
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    ok = mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_BYTES) == 1
    return ok and mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD_BYTES) == 1


@dataclass
class _Trace:
    residuals: list[float] = field(default_factory=list)
    linear_iterations: list[int] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=lambda: {
        "assembly": 0.0, "linear": 0.0, "assembly_cpu": 0.0, "linear_cpu": 0.0})

    def add(self, phase: str, wall0: float, cpu0: float) -> None:
        """Add wall and CPU seconds since ``wall0``/``cpu0`` to ``phase`` (CPU seconds are
        what to compare on a shared machine)."""
        self.timings[phase] += time.perf_counter() - wall0
        self.timings[phase + "_cpu"] += time.process_time() - cpu0


class _Linear:
    """Linear solves of the nonlinear loop, with preconditioner reuse.

    The block preconditioner (AMG hierarchies, LSC scaling) is rebuilt only when the Krylov
    iteration count per decade of residual reduction grows by ``REBUILD_GROWTH`` over its
    value right after the last rebuild, or when a solve with a reused preconditioner fails."""

    REBUILD_GROWTH = 1.5

    def __init__(self, asmb: _Assembler, trace: _Trace):
        self.asmb, self.trace = asmb, trace
        self.pc = None
        self.rate0 = None
        self.rebuild = True
        self.builds = 0

    def _krylov(self, system, rhs, rtol, maxiter, fresh: bool):
        pc = linear.BlockPreconditioner(system, None if fresh else self.pc)
        if fresh:
            self.builds += 1
        x, stats = linear.solve_krylov(system, rhs, pc, None, rtol, maxiter=maxiter,
                                       restart=min(200, maxiter))
        rate = stats.iterations / max(np.log10(1.0 / max(rtol, 1e-12)), 0.5)
        if fresh:
            self.rate0 = rate
        self.rebuild = rate > self.REBUILD_GROWTH * self.rate0
        self.pc = pc
        return x, stats

    def solve(self, system, rhs, rtol: float, maxiter: int = 600) -> np.ndarray:
        tl, tc = time.perf_counter(), time.process_time()
        if self.asmb.krylov:
            fresh = self.rebuild or self.pc is None
            try:
                x, stats = self._krylov(system, rhs, rtol, maxiter, fresh)
            except SolverError:
                if fresh:
                    raise
                x, stats = self._krylov(system, rhs, rtol, maxiter, True)
        else:
            x, stats = linear.solve_direct(system, rhs)
        self.trace.add("linear", tl, tc)
        self.trace.linear_iterations.append(stats.iterations)
        if not np.all(np.isfinite(x)):
            raise SolverError("flow solve: the linear solve produced non-finite values",
                              "lower the flow rate or refine the mesh")
        return x


#: Inexact Newton forcing terms (Eisenstat & Walker, SIAM J Sci Comput 1996;17:16–32,
#: choice 2 with γ = 0.9, α = 2): the Krylov tolerance follows the nonlinear convergence,
#: loose while far from the solution, tight only near it.
ETA_MAX = 0.1
ETA_GAMMA = 0.9


def _forcing(res: float, res_prev: float | None, eta_prev: float | None, tol: float) -> float:
    if res_prev is None or eta_prev is None:
        eta = ETA_MAX
    else:
        eta = ETA_GAMMA * (res / res_prev) ** 2
        if ETA_GAMMA * eta_prev**2 > 0.1:  # safeguard against a too-early tightening
            eta = max(eta, ETA_GAMMA * eta_prev**2)
    # No oversolving: a residual just below the tolerance is all the last step needs.
    return float(min(ETA_MAX, max(eta, 0.5 * tol / res, 1e-8)))


#: What to do when the nonlinear iteration does not reach a steady state.
NO_STEADY_STATE_HINT = (
    "this flow may have no steady laminar solution on this mesh: solve the mean rather than "
    "the peak flow (twindesk flow CASE --flow mean; in the Flow panel, Run steady 3D at mean "
    "flow), run the pulsatile solver, which needs no steady state (twindesk scenario run CASE "
    "NAME --3d; Run 3D pulsatile), or remesh finer (twindesk mesh CASE --structure aorta "
    "--edge-mm with a smaller edge)")

#: After a Newton step backtracked to this fraction or less, the next step is a Picard step.
#: Measured on the demo case's aorta (86,849 tets, mean flow): Newton steps from residuals
#: of 2–5 on the intermediate levels overshot by 10–20× and were cut to 1/8 for 10 % of
#: progress each (~100 FGMRES iterations per step), where one Picard step (35 iterations)
#: halves the residual: 448 → 340 CPU-s, 2,549 → 1,799 FGMRES iterations, same tolerance.
#: The synthetic aorta of ``benchmarks/bench_flow.py`` never cuts a Newton step that far.
NEWTON_CUT_PICARD = 0.25
#: Below this residual a Newton step's Krylov solve gets the full iteration budget rather
#: than falling back to a Picard step: near the solution at a high Reynolds number Picard's
#: fixed-point iteration can diverge. Measured on the demo case's aorta at peak flow
#: (Re 4740): the Newton solve from a residual of 1.5·10⁻² ran out of its 200 iterations,
#: and the Picard step taken instead raised the residual to 0.48 (100 CPU-s lost, and two
#: Newton steps to get back).
NEWTON_NEAR = 0.1


def _iterate(asmb: _Assembler, lin: _Linear, x: np.ndarray, tol: float, max_iterations: int,
             newton_below: float, trace: _Trace, progress, cancel,
             picard_steps: int = 0) -> tuple[np.ndarray, bool]:
    """Inexact Newton steps (Picard steps while the residual is above ``newton_below``, for
    the first ``picard_steps`` steps and after a Newton step cut to ``NEWTON_CUT_PICARD``)
    from the iterate ``x`` until the relative residual is below ``tol``. Each step is
    backtracked (halved up to three times) while it does not lower the residual."""
    residuals: list[float] = []
    x_prev = delta = None
    res_prev, step, eta = np.inf, 1.0, None
    newton_step = picard_next = False
    for it in range(max_iterations + 1):
        cancel.check()
        u, _ = asmb.expand(x)
        ta, tc = time.perf_counter(), time.process_time()
        system, b = asmb.system(u)
        trace.add("assembly", ta, tc)
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
        # A Newton step that had to be cut to a quarter or less left Newton's basin of
        # attraction: the next step is a Picard step, which converges from much farther out.
        picard_next = newton_step and step <= NEWTON_CUT_PICARD
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
                NO_STEADY_STATE_HINT)
        if it == max_iterations:
            break
        eta = _forcing(res, residuals[-2] if len(residuals) > 1 else None, eta, tol)
        delta = None
        newton_step = res < newton_below and len(residuals) > picard_steps and not picard_next
        if newton_step:
            ta, tc = time.perf_counter(), time.process_time()
            system.J = asmb.newton_matrix(u, system.K)
            trace.add("assembly", ta, tc)
            try:
                delta = lin.solve(system, r_vec, eta,
                                  maxiter=200 if res > NEWTON_NEAR else 600)
            except SolverError:
                # The Picard-based preconditioner can fail on a Newton Jacobian far from the
                # solution; a Picard step still makes progress there.
                system.J = None
                newton_step = False
        if delta is None:
            delta = lin.solve(system, r_vec, eta)
        x_prev, res_prev, step = x, res, 1.0
        x = x + delta
    return x, False


#: Continuation in flow rate: each level is the largest step towards the full flow whose
#: predicted iterate (secant through the last two solved levels) has a relative residual of
#: at most RAMP_PREDICTOR_RESIDUAL; Newton converges from there in a few steps. Probing a
#: level costs one assembly, far less than the damped Newton steps a too-large step costs
#: (measured on the 17k-tet aorta: from a residual of 20, four damped steps before the
#: quadratic phase; from 3–8, none). An intermediate level only has to give the next
#: predictor a start, and the predictor's probed residual is bounded anyway, so a level is
#: done at RAMP_LEVEL_TOL = 1.5 (usually one Newton step); solving levels to 0.1 cost a
#: quarter more (17k-tet aorta at 5 L/min: 26.6 CPU-s / 26 iterations at 0.1, 21.3 / 22 at
#: 0.5, 19.5 / 20 at 1.5, same number of levels).
RAMP_PREDICTOR_RESIDUAL = 5.0
#: Picard steps before Newton on the first level, whose start is the (scaled) Stokes
#: solution rather than a Navier–Stokes one: there the full Newton step overshoots (17k-tet
#: aorta: residual 4 → 11.8, halved to 3.4, then 0.85), while one Oseen step brings it to
#: 1.9 and Newton to 0.51, and the better first level also gives better secant predictors
#: for the later ones. Measured on the 93k-tet aorta: the first level took 4 Newton solves
#: (206 FGMRES iterations), now one Picard and one Newton solve (59); 15 instead of 17
#: nonlinear iterations, 651 instead of 856 FGMRES iterations; with the lighter
#: preconditioner setup measured in the same run, 165 → 121 CPU-s.
STOKES_START_PICARD_STEPS = 1
RAMP_LEVEL_TOL = 1.5
#: Levels allowed before the full flow. When they run out short of it, the last level jumps
#: to the full flow only if its predictor residual is at most RAMP_JUMP_RESIDUAL; otherwise
#: the solve stops at once with the flow it reached, rather than iterating for minutes from
#: a hopeless start (demo aorta at peak flow: predicted residual 7·10⁴, 60 iterations and
#: 14 minutes to the same error). The demo aorta at peak flow needs 29 levels (see
#: ``_next_level``), hence the margin.
RAMP_MAX_LEVELS = 40
RAMP_JUMP_RESIDUAL = 20 * RAMP_PREDICTOR_RESIDUAL
#: Predictor probes per level.
RAMP_PROBES = 8


def _predict(asmb: _Assembler, solved: list, frac: float) -> np.ndarray:
    """Set the flow fraction ``frac`` and return the secant predictor through the last two
    solved levels ``solved = [(f0, x0), (f1, x1)]``."""
    (f0, x0), (f1, x1) = solved
    asmb.set_flow_fraction(frac)
    return x1 + (frac - f1) / (f1 - f0) * (x1 - x0)


#: Step growth on the "far" branch (see ``_next_level``) from the nonlinear iterations the
#: last level took: (at most this many iterations, growth factor of the step).
RAMP_FAR_GROWTH = ((2, 2.0), (4, 1.5), (6, 1.0))
RAMP_FAR_SHRINK = 0.7
#: Relative tolerance of the tangent solve on the "far" branch. The tangent only has to
#: lower the predictor's residual. Through a 50 % stenosis at Re 200
#: (tests/validation/test_flow_continuation.py), at 1e-2 its predictor residual 20 % of the
#: flow ahead is 12 times below the last level's own, although the pressure level (set by
#: the outlet resistances, the slowest mode) is 72 % off; 1e-4 gets that right to 1e-4.
#: On the demo aorta at peak flow, 1e-4 took ~70 CPU-s per tangent instead of 18–35, and
#: reached 44 % of the flow after 428 CPU-s instead of 292.
RAMP_TANGENT_RTOL = 1e-2


def _far_step(step_last: float, iterations_last: int) -> float:
    """The first step probed on the "far" branch: the last step grown or shrunk by what the
    last level cost (an iteration-count step controller, as in arc-length continuation;
    Allgower & Georg, Introduction to Numerical Continuation Methods, SIAM 2003, ch. 6)."""
    for most, growth in RAMP_FAR_GROWTH:
        if iterations_last <= most:
            return growth * step_last
    return RAMP_FAR_SHRINK * step_last


def _tangent(asmb: _Assembler, lin: _Linear, level: tuple[float, np.ndarray]
             ) -> np.ndarray | None:
    """The solution's derivative in flow fraction at a solved ``level = (f, x)``: the Euler
    predictor of predictor–corrector continuation (Allgower & Georg, ch. 2), from
    J·dx/df = ∂F/∂f with the Newton Jacobian J. The flow fraction enters F through the
    inlet lifting (in the convection, and in the streamline diffusion's speed), so ∂F/∂f
    is a central difference, second-order accurate. None when the Krylov solve fails (the
    secant is used)."""
    f1, x1 = level
    h = 1e-3 * f1
    dF = []
    for f in (f1 + h, f1 - h):
        asmb.set_flow_fraction(f)
        dF.append(_residual_vector(asmb, x1))
    asmb.set_flow_fraction(f1)
    u, _ = asmb.expand(x1)
    system, _ = asmb.system(u)
    system.J = asmb.newton_matrix(u, system.K)
    try:
        return lin.solve(system, (dF[0] - dF[1]) / (2 * h), RAMP_TANGENT_RTOL, maxiter=200)
    except SolverError:
        return None


def _next_level(asmb: _Assembler, lin: _Linear, trace: _Trace, solved: list, done: float,
                step_last: float | None, iterations_last: int = 0
                ) -> tuple[float, np.ndarray, float]:
    """The next flow fraction, its predicted iterate and the predictor's residual at the
    full flow (the first probe).

    Probes start at the full flow and shrink the step until the secant predictor's residual
    is at most RAMP_PREDICTOR_RESIDUAL, assuming the residual grows like the step (true from
    the Stokes start, ``done == 0``, and near enough for the moderate residuals of a mean
    flow). When that model would cut the step below half the last level's, the full flow
    is far beyond the predictor's reach (the "far" branch). Then:

    - the next probe is the last step grown or shrunk by the last level's iteration count
      (``_far_step``); later probes shrink with the square root of the residual bound, as a
      predictor's error grows at least like the step squared;
    - the tangent (Euler) predictor is probed too, and the better of the two is kept.
      Levels are solved loosely (RAMP_LEVEL_TOL), so the secant's slope carries their
      errors divided by the last step: after a few short steps it extrapolates noise, its
      residual exceeds the bound at twice the last step, and steps can only shrink.

    Measured on the demo aorta at peak flow (17 L/min, Re 4740, residual 7·10⁴ at the full
    flow): the linear model alone crept from 16 % to 18 % of the flow in steps of 0.1–0.6 %
    until the levels ran out; the square-root model on the secant alone crept at 1–2 % and
    stopped at 64 % after 29 levels; the iteration-count step controller with damped secants
    still crept at 1–2 % (stopped by hand at 48 %). With the tangent (computed on 14 of the
    levels, 18–35 CPU-s each) the steps were 2–6 %; where both were probed (13 times) the
    tangent's residual was 1.2–3.2 times lower than the secant's (once 12 times, once 15 %
    higher), and the full flow was reached after 29 levels in 1,440 CPU-s.
    """
    frac, r_full, far, tangent = 1.0, None, False, None
    for probe in range(RAMP_PROBES):
        x = _predict(asmb, solved, frac)
        r = _probe_residual(asmb, trace, x)
        r_full = r if probe == 0 else r_full
        if tangent is not None and r > RAMP_PREDICTOR_RESIDUAL:
            f1, x1 = solved[-1]
            x_t = x1 + (frac - f1) * tangent  # _predict set the flow fraction to frac
            r_t = _probe_residual(asmb, trace, x_t)
            if r_t < r:
                x, r = x_t, r_t
        if r <= RAMP_PREDICTOR_RESIDUAL:
            break
        step, target = frac - done, 0.8 * RAMP_PREDICTOR_RESIDUAL / r
        new = step * min(0.5, target)
        if probe == 0 and done > 0 and step_last and new < 0.5 * step_last:
            far = True
            new = min(_far_step(step_last, iterations_last), 0.5 * step)
            tangent = _tangent(asmb, lin, solved[-1])
        elif far:
            new = step * min(0.5, max(0.25, np.sqrt(target)))
        frac = done + new
    asmb.set_flow_fraction(frac)
    return frac, x, r_full


def _probe_residual(asmb: _Assembler, trace: _Trace, x: np.ndarray) -> float:
    ta, tc = time.perf_counter(), time.process_time()
    r = _residual(asmb, x)
    trace.add("assembly", ta, tc)
    return r


def _residual_vector(asmb: _Assembler, x: np.ndarray) -> np.ndarray:
    """The Navier–Stokes residual b − A(u)·x of the iterate ``x`` at the current flow."""
    u, _ = asmb.expand(x)
    system, b = asmb.system(u)
    return b - system.matvec(x)


def _residual(asmb: _Assembler, x: np.ndarray) -> float:
    return float(np.linalg.norm(_residual_vector(asmb, x)) / asmb.residual_scale())


def _solve_steady(domain: FlowDomain, params: SteadyFlowParams, progress=None,
                  cancel: CancelToken | None = None) -> SteadyFlowResult:
    progress = progress or null_progress
    cancel = cancel or CancelToken()
    if not params.inflow_m3_per_s > 0 or not np.isfinite(params.inflow_m3_per_s):
        raise InputError(f"inflow {params.inflow_m3_per_s} m³/s must be positive",
                         "give a positive flow rate")
    t0, c0 = time.perf_counter(), time.process_time()
    progress(0.0, "assembling")
    asmb = _Assembler(domain, params)
    trace = _Trace()
    lin = _Linear(asmb, trace)
    trace.timings["setup"] = time.perf_counter() - t0
    # Stokes solve (zero advecting velocity) at the full flow.
    system, b = asmb.system(np.zeros_like(asmb.uD))
    asmb.b_lift_norm_full = float(np.linalg.norm(b - asmb.b_ref))
    # The Stokes solution only starts the iteration: a loose tolerance is enough.
    x = lin.solve(system, b, 1e-4)
    progress(0.1, "Stokes solution")
    converged = False
    # Solved levels (flow fraction, iterate); the Stokes solution is proportional to the flow.
    solved: list[tuple[float, np.ndarray]] = [(0.0, 0 * x), (1.0, x)]
    done, levels, step_last, iterations_last = 0.0, [], None, 0
    while True:
        frac, x, r_full = _next_level(asmb, lin, trace, solved, done, step_last, iterations_last)
        last = frac == 1.0 or len(levels) + 1 >= RAMP_MAX_LEVELS
        if last and frac < 1.0:
            if r_full > RAMP_JUMP_RESIDUAL:
                q_lmin = params.inflow_m3_per_s * 6e4
                raise SolverError(
                    f"flow solve: the flow-rate continuation reached {done:.0%} of the inflow "
                    f"({done * q_lmin:.2f} of {q_lmin:.2f} L/min) in {len(levels)} levels and "
                    f"the full flow is still far (predicted residual {r_full:.1e})",
                    NO_STEADY_STATE_HINT)
            frac = 1.0
            x = _predict(asmb, solved, frac)
        levels.append(frac)
        lin.rebuild = True  # a new flow level changes the operator most
        sub = lambda f, m="", fr=frac, f0=done: progress(
            0.1 + 0.85 * (f0 + (fr - f0) * f), m + (f" (flow {fr:.0%})" if fr < 1 else ""))
        before = len(trace.residuals)
        x, converged = _iterate(asmb, lin, x, params.tol if last else RAMP_LEVEL_TOL,
                                params.max_iterations, params.newton_below, trace, sub, cancel,
                                STOKES_START_PICARD_STEPS if done == 0 else 0)
        if not converged and not last:
            raise SolverError(
                f"flow solve did not converge at {frac:.0%} of the flow "
                f"(residual {trace.residuals[-1]:.2e})",
                NO_STEADY_STATE_HINT)
        solved = [solved[-1] if done > 0 else (0.0, 0 * x), (frac, x)]
        done, step_last = frac, frac - done
        iterations_last = len(trace.residuals) - before
        if last:
            break
    trace.timings["cpu_total"] = time.process_time() - c0
    if not converged:
        raise SolverError(
            f"flow solve did not converge in {params.max_iterations} iterations "
            f"(residual {trace.residuals[-1]:.2e} > {params.tol:.0e})",
            NO_STEADY_STATE_HINT)
    u, p = asmb.expand(x)
    p = p + asmb.p_shift
    flows = {o.region_id: float(sum(asmb.flux[o.region_id][k] @ u[k] for k in range(3)))
             for o in asmb.outlets}
    pressures = {o.region_id: o.resistance_pa_s_per_m3 * flows[o.region_id] + o.pressure_ref_pa
                 for o in asmb.outlets}
    progress(1.0, "solved")
    return SteadyFlowResult(u, p, converged, len(trace.residuals), trace.residuals,
                            trace.linear_iterations, flows, pressures, params.inflow_m3_per_s,
                            time.perf_counter() - t0, "krylov" if asmb.krylov else "direct",
                            trace.timings, levels)
