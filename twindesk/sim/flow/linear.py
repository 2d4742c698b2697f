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
    """The reduced linear system of one Picard step (SI units).

    ``K`` is (n_u, n_u) for one component, ``D[k]`` is (n_p, n_u), ``U`` is (3 n_u + n_p, m)
    with the outlet flux functionals, ``R`` the outlet resistances (Pa·s/m³, all > 0).
    """

    K: sp.csr_matrix
    D: list
    U: np.ndarray
    R: np.ndarray
    C: list | None = None  # Newton coupling blocks C[k][j] (n_u, n_u), or None for Picard

    def __post_init__(self):
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
        us = (ux, uy, uz)
        for k, u in enumerate(us):
            out[k * n:(k + 1) * n] = self.K @ u + self.G[k] @ p
            if self.C is not None:
                out[k * n:(k + 1) * n] += sum(self.C[k][j] @ us[j] for j in range(3))
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
        blocks = [[self.K if k == j else None for j in range(3)] + [Gt[k]] for k in range(3)]
        if self.C is not None:
            for k in range(3):
                for j in range(3):
                    blocks[k][j] = self.C[k][j] + (self.K if k == j else 0)
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


class BlockPreconditioner:
    """Block upper-triangular preconditioner with LSC Schur approximation (module docstring)."""

    def __init__(self, system: OseenSystem, amg=None):
        import pyamg

        self.system = system
        K = system.K
        self.amg = amg or pyamg.smoothed_aggregation_solver(K, symmetry="nonsymmetric",
                                                            max_coarse=500)
        self._vK = self.amg.aspreconditioner(cycle="V")
        self.qinv = 1.0 / K.diagonal()
        Qi = sp.diags(self.qinv)
        L = sum(Dk @ Qi @ Dk.T for Dk in system.D).tocsr()
        self._vL = pyamg.smoothed_aggregation_solver(L, symmetry="symmetric",
                                                     max_coarse=500).aspreconditioner(cycle="V")

    def schur_inv(self, g: np.ndarray) -> np.ndarray:
        s, q = self.system, self.qinv
        y = self._vL(g)
        mid = np.zeros_like(y)
        for Dk, Gk in zip(s.D, s.G):
            mid += Dk @ (q * (s.K @ (q * (Gk @ y))))
        return self._vL(mid)

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


def solve_krylov(system: OseenSystem, b: np.ndarray, precond: BlockPreconditioner,
                 x0: np.ndarray | None, rtol: float, maxiter: int = 600,
                 restart: int = 200) -> tuple[np.ndarray, LinearStats]:
    """FGMRES with ``precond``; raises :class:`SolverError` when it does not converge.

    A long restart matters: GMRES(60) stagnated on Oseen steps that GMRES(200) solves in
    about 90 iterations (FDA nozzle, Re 500)."""
    import time

    from pyamg.krylov import fgmres

    t0 = time.perf_counter()
    M = precond.operator()
    t1 = time.perf_counter()
    residuals: list[float] = []
    x, info = fgmres(system.operator(), b, x0=x0, tol=rtol, restart=restart,
                     maxiter=max(1, maxiter // restart), M=M, residuals=residuals)
    bnorm = max(np.linalg.norm(b), 1e-300)
    res = float(np.linalg.norm(system.matvec(x) - b) / bnorm)
    if not np.all(np.isfinite(x)) or res > max(10 * rtol, 1e-3):
        raise SolverError(f"flow solve: the iterative linear solver did not converge "
                          f"(relative residual {res:.2e} after {len(residuals) - 1} iterations)",
                          "refine the mesh, lower the flow rate, or use --solver direct on a "
                          "small mesh")
    return x, LinearStats(len(residuals) - 1, res, t1 - t0, time.perf_counter() - t1)
