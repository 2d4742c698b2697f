"""Linear solvers for the Oseen saddle-point system of one Picard step.

The reduced system (Dirichlet velocity dofs eliminated) is::

    [ K   0   0   Gx ] [ux]   [fx]
    [ 0   K   0   Gy ] [uy] = [fy]      + Σ_i R_i c_i c_iᵀ   (outlet resistances,
    [ 0   0   K   Gz ] [uz]   [fz]                           rank one per outlet)
    [ Dx  Dy  Dz  0  ] [p ]   [g ]

with ``G_k = D_kᵀ``. The outlet resistances couple all velocity dofs of an outlet; they are
never assembled into the sparse matrix but kept as a low-rank term ``U diag(R) Uᵀ`` and
inverted exactly with the Sherman–Morrison–Woodbury identity, both in the direct path and
in the preconditioner of the iterative path.

Two solvers:

``direct``
    SuperLU on the sparse block matrix. Measured on this 2-core machine it is fine up to a
    few thousand tetrahedra and grows superlinearly (see the benchmark numbers in
    :mod:`twindesk.sim.flow.steady`).
``krylov``
    Right-preconditioned FGMRES (pyamg) with the block upper-triangular preconditioner
    ``[[F, Bᵀ], [0, −S]]``: one smoothed-aggregation AMG V-cycle of the scalar ``K`` per
    velocity component (one hierarchy serves all three) and the scaled least-squares
    commutator (LSC) Schur approximation
    ``S⁻¹ ≈ (B Q⁻¹ Bᵀ)⁻¹ (B Q⁻¹ F Q⁻¹ Bᵀ) (B Q⁻¹ Bᵀ)⁻¹`` with ``Q = diag(F)`` and one AMG
    V-cycle for each ``(B Q⁻¹ Bᵀ)⁻¹`` (Elman, Howle, Shadid, Shuttleworth & Tuminaro, SIAM J
    Sci Comput 2006;27:1651–1668; Elman, Silvester & Wathen, *Finite Elements and Fast
    Iterative Solvers*, 2nd ed., OUP 2014, ch. 9).

Measured while choosing (this 2-core machine, shared, so seconds are indicative; relative
residual 1e-8, Stokes step):

* straight tube R 5 mm × 40 mm, 5,760 tets (28k dofs): SuperLU 4.5–5.6 s; FGMRES with
  pressure-mass Schur + SA-AMG 99 iterations / 1.0 s.
* FDA nozzle, 25k tets (121k dofs, long and thin): pressure-mass Schur fails (no
  convergence in 400 iterations: the inf-sup constant of a long duct is small, so ``M_p``
  is a poor Schur model), also with an exact velocity solve it needs 105; a
  pressure-convection-diffusion variant stagnated. LSC: 48 iterations with exact inner
  solves, 43 with AMG on ``B Q⁻¹ Bᵀ``, 94 with AMG for the velocity block too.
* PARDISO (pypardiso/MKL) on the whole saddle-point matrix of a 44k-tet tube: 67 s and
  4.1 GB for one factorisation, so about 4 min and >10 GB at 100k tets; not used (so no MKL,
  whose Intel Simplified Software License would have been acceptable to ship, is needed).
* ``benchmarks/bench_flow.py``, synthetic aorta, 7,290 tets with four resistive outlets,
  Stokes step, median of 5: FGMRES 33 s (69 iterations) vs SuperLU 94 s, same solution to
  9e-11 (machine loaded by other jobs: wall times are ~3× CPU times).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator

from twindesk.errors import SolverError


@dataclass
class OseenSystem:
    """The reduced linear system of one Picard or Newton step (SI units).

    ``K`` is (n_u, n_u) for one component, ``D[k]`` is (n_p, n_u), ``U`` is (3 n_u + n_p, m)
    with the outlet flux functionals, ``R`` the outlet resistances (Pa·s/m³, all > 0).
    ``J`` is, for a Newton step, the whole (3 n_u, 3 n_u) velocity block (``K`` on the
    diagonal blocks plus the Newton coupling), or None for a Picard step. ``G`` are the
    transposes ``D[k]ᵀ`` (CSR; computed when not given).
    """

    K: sp.csr_matrix
    D: list
    U: np.ndarray
    R: np.ndarray
    J: sp.csr_matrix | None = None
    G: list | None = None

    def __post_init__(self):
        if self.G is None:
            self.G = [d.T.tocsr() for d in self.D]  # CSR transposes: faster products

    @property
    def n_u(self) -> int:
        return self.K.shape[0]

    @property
    def n_p(self) -> int:
        return self.D[0].shape[0]

    @property
    def size(self) -> int:
        return 3 * self.n_u + self.n_p

    def split(self, x):
        n = self.n_u
        return x[:n], x[n:2 * n], x[2 * n:3 * n], x[3 * n:]

    def matvec_base(self, x: np.ndarray) -> np.ndarray:
        """Product with the sparse part (no resistances)."""
        ux, uy, uz, p = self.split(x)
        out = np.empty_like(x)
        n = self.n_u
        if self.J is not None:
            out[:3 * n] = self.J @ x[:3 * n]
            for k in range(3):
                out[k * n:(k + 1) * n] += self.G[k] @ p
        else:
            for k, u in enumerate((ux, uy, uz)):
                out[k * n:(k + 1) * n] = self.K @ u + self.G[k] @ p
        out[3 * n:] = self.D[0] @ ux + self.D[1] @ uy + self.D[2] @ uz
        return out

    def matvec(self, x: np.ndarray) -> np.ndarray:
        y = self.matvec_base(x)
        if self.R.size:
            y += self.U @ (self.R * (self.U.T @ x))
        return y

    def operator(self) -> LinearOperator:
        return LinearOperator((self.size, self.size), matvec=self.matvec, dtype=float)

    def sparse_matrix(self) -> sp.csc_matrix:
        Gt = [d.T for d in self.D]
        if self.J is not None:
            return sp.bmat([[self.J, sp.vstack(Gt)], [sp.hstack(self.D), None]], format="csc")
        blocks = [[self.K if k == j else None for j in range(3)] + [Gt[k]] for k in range(3)]
        blocks.append([self.D[0], self.D[1], self.D[2], None])
        return sp.bmat(blocks, format="csc")


def woodbury(apply_inv, U: np.ndarray, R: np.ndarray):
    """Return ``x ↦ (A + U R Uᵀ)⁻¹ x`` given ``apply_inv`` for ``A⁻¹`` (exact or approximate)."""
    if R.size == 0:
        return apply_inv
    Z = np.column_stack([apply_inv(U[:, i]) for i in range(U.shape[1])])
    H = np.diag(1.0 / R) + U.T @ Z
    Hinv = np.linalg.inv(H)

    def apply(x):
        y = apply_inv(x)
        return y - Z @ (Hinv @ (U.T @ y))
    return apply


@dataclass
class LinearStats:
    iterations: int
    residual: float
    seconds_setup: float
    seconds_solve: float


def solve_direct(system: OseenSystem, b: np.ndarray) -> tuple[np.ndarray, LinearStats]:
    """SuperLU on the sparse part, Woodbury for the resistances."""
    import time

    from scipy.sparse.linalg import splu

    t0 = time.perf_counter()
    try:
        lu = splu(system.sparse_matrix(), permc_spec="MMD_AT_PLUS_A")
    except RuntimeError as exc:  # singular factor
        raise SolverError(f"flow solve: the linear system is singular ({exc})",
                          "check that every outlet is open and the inlet is labelled") from None
    t1 = time.perf_counter()
    x = woodbury(lu.solve, system.U, system.R)(b)
    res = np.linalg.norm(system.matvec(x) - b) / max(np.linalg.norm(b), 1e-300)
    return x, LinearStats(1, float(res), t1 - t0, time.perf_counter() - t1)


#: Smoothers of the velocity V-cycle.
PRESMOOTHER = ("gauss_seidel", {"sweep": "symmetric"})
POSTSMOOTHER = ("gauss_seidel", {"sweep": "symmetric"})


#: Jacobi smoothing of the tentative prolongator, weighted per row by a local bound instead
#: of pyamg's default global spectral-radius estimate (an Arnoldi run per level, for ``K``
#: also on ``Kᵀ``): measured on three 34k-tet systems, setup 0.46–0.81 → 0.35 CPU-s, the
#: same or fewer Krylov iterations (77/51/106 → 72/50/105), 11.3 → 9.9 CPU-s in all.
PROLONGATION_SMOOTHER = ("jacobi", {"weighting": "local"})


def _v_cycle(ml):
    """One V-cycle of a pyamg hierarchy as a function ``b ↦ x``. pyamg's own
    ``aspreconditioner`` also computes two fine-level residual norms per cycle that a
    preconditioner never uses; calling the cycle directly saves them (about a third of the
    fine-level work)."""
    cycle = getattr(ml, "_MultilevelSolver__solve", None)
    if cycle is None or len(ml.levels) < 2:
        return ml.aspreconditioner(cycle="V")

    def apply(b):
        x = np.zeros_like(b)
        cycle(0, x, b, "V", 1)
        return x
    return apply


class BlockPreconditioner:
    """Block upper-triangular preconditioner with LSC Schur approximation (module docstring).

    ``reuse``: a preconditioner built for an earlier (nearby) system. Its AMG hierarchies and
    its LSC scaling ``Q`` and middle operator are kept, only the fine level of the velocity
    hierarchy (whose smoother then sees the current ``K``) is refreshed: the setup costs
    about as much as a dozen Krylov iterations and changes little between Newton steps. The
    caller rebuilds when the iteration count grows.
    """

    def __init__(self, system: OseenSystem, reuse: BlockPreconditioner | None = None):
        import pyamg

        self.system = system
        K = system.K
        if reuse is None:
            self.amg = pyamg.smoothed_aggregation_solver(
                K, symmetry="nonsymmetric", max_coarse=500, presmoother=PRESMOOTHER,
                postsmoother=POSTSMOOTHER, smooth=PROLONGATION_SMOOTHER)
            self.qinv = 1.0 / K.diagonal()
            Qi = sp.diags(self.qinv)
            L = sum(Dk @ Qi @ Dk.T for Dk in system.D).tocsr()
            self._vL = _v_cycle(pyamg.smoothed_aggregation_solver(
                L, symmetry="symmetric", max_coarse=500, smooth=PROLONGATION_SMOOTHER))
            # LSC middle operator B Q⁻¹ F Q⁻¹ Bᵀ as one small sparse matrix (n_p × n_p):
            # cheaper than nine velocity-sized products in every Krylov iteration.
            self.mid = sum((Dk @ Qi) @ K @ (Qi @ Gk)
                           for Dk, Gk in zip(system.D, system.G)).tocsr()
        else:
            # The middle operator is reused with the hierarchy: it is the costliest part of a
            # refresh (measured on the 17k-tet aorta: identical Krylov iteration counts with a
            # lagged middle operator).
            self.amg, self.qinv, self._vL = reuse.amg, reuse.qinv, reuse._vL
            self.mid = reuse.mid
            self.amg.levels[0].A = K
        self._vK = _v_cycle(self.amg)

    def schur_inv(self, g: np.ndarray) -> np.ndarray:
        return self._vL(self.mid @ self._vL(g))

    def apply_base(self, r: np.ndarray) -> np.ndarray:
        s = self.system
        rx, ry, rz, rp = s.split(r)
        p = -self.schur_inv(rp)
        out = np.empty_like(r)
        n = s.n_u
        for k, rk in enumerate((rx, ry, rz)):
            out[k * n:(k + 1) * n] = self._vK(rk - s.G[k] @ p)
        out[3 * n:] = p
        return out

    def operator(self) -> LinearOperator:
        apply = woodbury(self.apply_base, self.system.U, self.system.R)
        n = self.system.size
        return LinearOperator((n, n), matvec=apply, dtype=float)


#: Re-orthogonalise when the projected vector keeps less than this fraction of its squared
#: norm (severe cancellation, where one classical pass loses orthogonality).
REORTH_BELOW = 1e-2


def fgmres(matvec, precond, b: np.ndarray, rtol: float, maxiter: int, restart: int):
    """Right-preconditioned flexible GMRES (Saad, SIAM J Sci Comput 1993;14:461–469) from
    x₀ = 0, stopping when ‖b − A x‖ ≤ rtol ‖b‖ or after ``maxiter`` iterations.

    Orthogonalisation is classical Gram–Schmidt (two matrix–vector products with the basis
    per iteration, so BLAS does the work; measured to cost a third of pyamg's Householder
    FGMRES per iteration here), repeated only when the projection cancelled the new vector
    almost entirely (``‖w‖² < REORTH_BELOW ‖w₀‖²``, a Daniel–Gragg–Kaufman–Stewart test,
    Math Comput 1976;30:772–795; PETSc's GMRES never repeats by default). Measured on the
    Newton steps of the 17k-tet aorta, ``‖w‖²/‖w₀‖²`` stays within 0.1–0.95, so a
    second pass every iteration (CGS2, as before) read the basis twice more for nothing:
    dropping it cut the linear-solve CPU time by 13 % with the same iteration counts and
    true residuals. Returns ``(x, iterations, residual history)``.
    """
    n = b.size
    x = np.zeros(n)
    bnorm = float(np.linalg.norm(b))
    history = [bnorm]
    if bnorm == 0.0:
        return x, 0, history
    target = rtol * bnorm
    m = max(1, min(restart, maxiter))
    V = np.empty((m + 1, n))  # pages are touched only as the basis grows
    Z = np.empty((m, n))
    r, total = b.copy(), 0
    while True:
        beta = float(np.linalg.norm(r))
        H = np.zeros((m + 1, m))
        g = np.zeros(m + 1)
        g[0] = beta
        cs, sn = np.zeros(m), np.zeros(m)
        V[0] = r / beta
        j_end = 0
        for j in range(m):
            Z[j] = precond(V[j])
            w = matvec(Z[j])
            Vj = V[:j + 1]
            wn2 = float(w @ w)
            h = Vj @ w
            w -= h @ Vj
            hn = float(np.linalg.norm(w))
            if hn * hn < REORTH_BELOW * wn2:  # cancellation: orthogonalise once more
                h2 = Vj @ w
                w -= h2 @ Vj
                h += h2
                hn = float(np.linalg.norm(w))
            H[:j + 1, j] = h
            H[j + 1, j] = hn
            if hn > 0:
                V[j + 1] = w / hn
            for i in range(j):  # previous Givens rotations on the new column
                t = cs[i] * H[i, j] + sn[i] * H[i + 1, j]
                H[i + 1, j] = -sn[i] * H[i, j] + cs[i] * H[i + 1, j]
                H[i, j] = t
            d = np.hypot(H[j, j], H[j + 1, j])
            cs[j], sn[j] = (H[j, j] / d, H[j + 1, j] / d) if d > 0 else (1.0, 0.0)
            H[j, j] = d
            H[j + 1, j] = 0.0
            g[j + 1] = -sn[j] * g[j]
            g[j] = cs[j] * g[j]
            total += 1
            j_end = j + 1
            history.append(abs(g[j + 1]))
            if abs(g[j + 1]) <= target or total >= maxiter or hn == 0:
                break
        from scipy.linalg import solve_triangular

        y = solve_triangular(H[:j_end, :j_end], g[:j_end])
        x += y @ Z[:j_end]
        if abs(g[j_end]) <= target or total >= maxiter:
            return x, total, history
        r = b - matvec(x)  # restart from the true residual


def solve_krylov(system: OseenSystem, b: np.ndarray, precond: BlockPreconditioner,
                 x0: np.ndarray | None, rtol: float, maxiter: int = 600,
                 restart: int = 200) -> tuple[np.ndarray, LinearStats]:
    """FGMRES with ``precond``; raises :class:`SolverError` when it does not converge.

    A long restart matters: GMRES(60) stagnated on Oseen steps that GMRES(200) solves in
    about 90 iterations (FDA nozzle, Re 500)."""
    import time

    t0 = time.perf_counter()
    M = precond.operator()
    t1 = time.perf_counter()
    x0 = np.zeros_like(b) if x0 is None else x0
    r0 = b - system.matvec(x0) if np.any(x0) else b
    dx, its, _ = fgmres(system.matvec, M.matvec, r0, rtol * np.linalg.norm(b) /
                        max(np.linalg.norm(r0), 1e-300), maxiter, restart)
    x = x0 + dx
    bnorm = max(np.linalg.norm(b), 1e-300)
    res = float(np.linalg.norm(system.matvec(x) - b) / bnorm)
    if not np.all(np.isfinite(x)) or res > max(10 * rtol, 1e-3):
        raise SolverError(f"flow solve: the iterative linear solver did not converge "
                          f"(relative residual {res:.2e} after {its} iterations)",
                          "refine the mesh, lower the flow rate, or use --solver direct on a "
                          "small mesh")
    return x, LinearStats(its, res, t1 - t0, time.perf_counter() - t1)
