"""Fast assembly of the scalar P2 matrices that change every nonlinear step.

The weak forms live in :mod:`twindesk.sim.flow.forms` (one small scikit-fem form per term);
this module evaluates the same integrals as dense matrix products and scatters them into
fixed sparsity patterns, because the generic form loop dominated the solve.

On affine tetrahedra the basis values φ̂_i and reference gradients ∇̂φ_i at the quadrature
points are the same for every element, and physical gradients are ``∇φ_i = J⁻ᵀ ∇̂φ_i``. So
every element integral is a weight per element and quadrature point (and reference
direction) times a constant table, e.g. the convection term

    ∫ ρ (w·∇φ_m) φ_i = Σ_q Σ_a [ρ |J| w_q ŵ_a(q)] · [φ̂_i(q) ∂̂_a φ_m(q)],  ŵ = J⁻¹ w,

which is one matrix product ``(n_elements × 3 n_q) @ (3 n_q × n_b²)`` (BLAS) instead of a
generic loop. The tests check these matrices against the scikit-fem forms.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from twindesk.sim.flow.forms import element_tau


class Scatter:
    """Sums element matrices (n_el, n_b, n_b) [test i, trial m] into one fixed CSR pattern
    restricted to ``rows`` × ``cols`` (sorted global dof arrays, renumbered 0..)."""

    def __init__(self, dofs: np.ndarray, n: int, rows: np.ndarray, cols: np.ndarray):
        nb, nel = dofs.shape
        rmap = np.full(n, -1, dtype=np.int64)
        rmap[rows] = np.arange(len(rows))
        cmap = np.full(n, -1, dtype=np.int64)
        cmap[cols] = np.arange(len(cols))
        # Entry order (e, i, m), as the element arrays are laid out.
        r = rmap[np.broadcast_to(dofs.T[:, :, None], (nel, nb, nb))].ravel()
        c = cmap[np.broadcast_to(dofs.T[:, None, :], (nel, nb, nb))].ravel()
        self.sel = np.flatnonzero((r >= 0) & (c >= 0))
        r, c = r[self.sel], c[self.sel]
        self.shape = (len(rows), len(cols))
        self._rmap, self._cmap = rmap, cmap
        keys = r * len(cols) + c
        ukeys, self.pos = np.unique(keys, return_inverse=True)
        self.indices = (ukeys % len(cols)).astype(np.int32)
        counts = np.bincount((ukeys // len(cols)).astype(np.int64), minlength=len(rows))
        self.indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
        self.nnz = len(ukeys)
        self._keys = ukeys

    def locate(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For global (row, col) pairs: a mask of those inside ``rows`` × ``cols`` and their
        positions in the data array (every such pair must be in the element pattern)."""
        r, c = self._rmap[rows], self._cmap[cols]
        ok = (r >= 0) & (c >= 0)
        pos = np.searchsorted(self._keys, r[ok] * self.shape[1] + c[ok])
        return ok, pos

    def data(self, elem: np.ndarray) -> np.ndarray:
        return np.bincount(self.pos, weights=elem.reshape(-1)[self.sel], minlength=self.nnz)

    def matrix(self, elem: np.ndarray) -> sp.csr_matrix:
        return sp.csr_matrix((self.data(elem), self.indices, self.indptr), shape=self.shape)


class P2Assembler:
    """Element integrals on the scalar P2 basis ``basis`` of an affine tetrahedral mesh
    (SI units). Element matrices are returned as arrays (n_el, n_b · n_b)."""

    def __init__(self, basis):
        self.basis = basis
        nb = basis.Nbfun
        self.nb = nb
        X, wq = basis.X, np.asarray(basis.W)
        self.phi_ref = np.array([basis.elem.lbasis(X, i)[0] for i in range(nb)])  # (nb, nq)
        self.grad_ref = np.array([basis.elem.lbasis(X, i)[1] for i in range(nb)])  # (nb,3,nq)
        mesh = basis.mesh
        P = mesh.p[:, mesh.t]  # (3, 4, nel)
        J = np.transpose(np.stack([P[:, 1] - P[:, 0], P[:, 2] - P[:, 0], P[:, 3] - P[:, 0]],
                                  axis=1), (2, 0, 1))  # (nel, d, a) = ∂x_d/∂X_a
        self.Jinv = np.linalg.inv(J)  # (nel, a, d) = ∂X_a/∂x_d
        self.detJ = np.abs(np.linalg.det(J))
        self.wq = wq
        self.dx = self.detJ[:, None] * wq[None, :]  # (nel, nq)
        self.dofs = basis.element_dofs  # (nb, nel)
        self.N = basis.N
        ph, gr = self.phi_ref, self.grad_ref
        nq = len(wq)
        # Tables with rows (q[, a[, b]]) and columns (i, m), test i, trial m.
        self.T_mass = np.einsum("iq,mq->qim", ph, ph).reshape(nq, nb * nb)
        self.T_vgrad = np.einsum("iq,maq->qaim", ph, gr).reshape(3 * nq, nb * nb)
        self.T_gradv = np.einsum("iaq,mq->qaim", gr, ph).reshape(3 * nq, nb * nb)
        self.T_gg = np.einsum("iaq,mbq->qabim", gr, gr).reshape(9 * nq, nb * nb)
        # Stacked tables: one product (and one output array) per element matrix instead of
        # one per term.
        self.T_newton = np.vstack([self.T_mass, self.T_gradv])
        self.T_oseen = np.vstack([self.T_vgrad, self.T_gg])
        # Viscous term: |J| Σ_ab (J⁻¹J⁻ᵀ)_ab Σ_q w_q ∂̂_a φ_i ∂̂_b φ_m, constant.
        Tv = np.einsum("q,iaq,mbq->abim", wq, gr, gr).reshape(9, nb * nb)
        G = np.einsum("ead,ebd->eab", self.Jinv, self.Jinv).reshape(-1, 9)
        self.viscous_unit = (self.detJ[:, None] * G) @ Tv

    # ---------------------------------------------------------------- interpolation
    def interpolate(self, u: np.ndarray) -> np.ndarray:
        """Values (nel, nq) of the P2 field with dof values ``u``."""
        return u[self.dofs].T @ self.phi_ref

    def interpolate_grad(self, u: np.ndarray) -> np.ndarray:
        """Gradient (3, nel, nq) of the P2 field with dof values ``u``."""
        nb, nq = self.phi_ref.shape
        g_ref = (u[self.dofs].T @ self.grad_ref.reshape(nb, 3 * nq)).reshape(-1, 3, nq)
        # Batched 3×3 products: np.matmul is ~9× faster here than the equivalent einsum.
        return np.matmul(self.Jinv.transpose(0, 2, 1), g_ref).transpose(1, 0, 2)

    def reference_velocity(self, W: np.ndarray) -> np.ndarray:
        """ŵ = J⁻¹ w (nel, nq, 3) for a physical velocity W (3, nel, nq)."""
        return np.ascontiguousarray(np.matmul(self.Jinv, W.transpose(1, 0, 2)).transpose(0, 2, 1))

    # ---------------------------------------------------------------- element matrices
    def oseen_elements(self, W: np.ndarray, mu: float, rho: float, sd: float,
                       h: np.ndarray) -> np.ndarray:
        """μ∇u·∇v + ρ(w·∇u)v + sd·τρ(w·∇u)(w·∇v), as :data:`forms.oseen` (nel, nb²)."""
        wr = self.reference_velocity(W)
        nel, nq = self.dx.shape
        conv = ((rho * self.dx)[:, :, None] * wr).reshape(nel, -1)
        if sd > 0:
            tau = element_tau({"w0": W[0], "w1": W[1], "w2": W[2], "h": h, "mu": mu,
                               "rho": rho})
            c = sd * rho * tau * self.dx
            weights = np.empty((nel, 12 * nq))
            weights[:, :3 * nq] = conv
            weights[:, 3 * nq:].reshape(nel, nq, 3, 3)[...] = (
                c[:, :, None, None] * wr[:, :, :, None] * wr[:, :, None, :])
            elem = weights @ self.T_oseen
        else:
            elem = conv @ self.T_vgrad
        elem += mu * self.viscous_unit
        return elem

    def newton_elements(self, W: np.ndarray, grads: list[np.ndarray], mu: float, rho: float,
                        sd: float, h: np.ndarray):
        """Yield ``(k, j, elements)`` for the blocks C[k][j] of the Newton term: the
        derivative of the convective and streamline-diffusion residuals with respect to the
        advecting velocity, ``ρ∫(∂_j u_k) φ_m φ_i + sd ρ∫τ[(∂_j u_k) φ_m (u·∇φ_i) +
        (u·∇u_k) φ_m ∂_jφ_i] + sd ρ∫(∂τ/∂u_j) φ_m (u·∇u_k)(u·∇φ_i)`` with
        ``∂τ/∂u_j = −τ³ (4/h²) u_j``."""
        nel = W.shape[1]
        wr = self.reference_velocity(W) if sd > 0 else None
        if sd > 0:
            tau = element_tau({"w0": W[0], "w1": W[1], "w2": W[2], "h": h, "mu": mu,
                               "rho": rho})
            tau_dx = sd * rho * tau * self.dx
            dtau_dx = -sd * rho * tau**3 * (4.0 / h**2) * self.dx  # times u_j below
        nq = self.dx.shape[1]
        weights = np.empty((nel, 4 * nq)) if sd > 0 else None
        for k in range(3):
            r_k = np.einsum("deq,deq->eq", W, grads[k]) if sd > 0 else None
            for j in range(3):
                g = grads[k][j]
                if sd > 0:
                    weights[:, :nq] = rho * g * self.dx
                    # test-gradient weights per reference direction a: (nel, nq, 3)
                    wa = weights[:, nq:].reshape(nel, nq, 3)
                    np.multiply((g * tau_dx + W[j] * r_k * dtau_dx)[:, :, None], wr, out=wa)
                    wa += (r_k * tau_dx)[:, :, None] * self.Jinv[:, None, :, j]
                    elem = weights @ self.T_newton
                else:
                    elem = (rho * g * self.dx) @ self.T_mass
                yield k, j, elem

    # ---------------------------------------------------------------- full matrices
    def _full(self) -> Scatter:
        if not hasattr(self, "_scatter_full"):
            allr = np.arange(self.N)
            self._scatter_full = Scatter(self.dofs, self.N, allr, allr)
        return self._scatter_full

    def oseen(self, W, mu, rho, sd, h) -> sp.csr_matrix:
        """The Oseen matrix on all dofs (N, N)."""
        return self._full().matrix(self.oseen_elements(W, mu, rho, sd, h))

    def weighted_mass(self, g: np.ndarray) -> sp.csr_matrix:
        """∫ g u v for a weight ``g`` at quadrature points (nel, nq), all dofs."""
        return self._full().matrix((g * self.dx) @ self.T_mass)

    def newton(self, W, grads, mu, rho, sd, h) -> list[list[sp.csr_matrix]]:
        """Newton blocks C[k][j] on all dofs (see :meth:`newton_elements`)."""
        out = [[None] * 3 for _ in range(3)]
        for k, j, elem in self.newton_elements(W, grads, mu, rho, sd, h):
            out[k][j] = self._full().matrix(elem)
        return out


def block_velocity_layout(indptr: np.ndarray, indices: np.ndarray, n: int):
    """CSR structure of the 3×3 block matrix whose nine blocks share one (n × n) pattern,
    and where each block's data goes: returns ``(indptr, indices, slots)`` with ``slots[k][j]``
    the positions of block (k, j)'s data in the big matrix's data array."""
    nnz = int(indptr[-1])
    lens = np.diff(indptr).astype(np.int64)
    row_of = np.repeat(np.arange(n), lens)
    t = np.arange(nnz) - indptr[:-1].astype(np.int64)[row_of]
    big_ptr = np.concatenate([[0], np.cumsum(np.tile(3 * lens, 3))]).astype(np.int64)
    big_idx = np.empty(9 * nnz, dtype=np.int32)
    slots = [[None] * 3 for _ in range(3)]
    for k in range(3):
        start = big_ptr[k * n:(k + 1) * n][row_of]
        for j in range(3):
            pos = start + j * lens[row_of] + t
            big_idx[pos] = indices + j * n
            slots[k][j] = pos
    return big_ptr, big_idx, slots


class FacetAssembler:
    """Weighted facet mass matrices ∫ g u v ds on one facet set of a P2 facet basis (the
    outlet backflow term and its Newton blocks), without the generic form loop."""

    def __init__(self, fb):
        nb = fb.Nbfun
        self.N = fb.N
        self.phi = np.array([np.asarray(fb.basis[i][0]) for i in range(nb)])  # (nb, nf, nq)
        self.dx = np.asarray(fb.dx)
        self.n = np.asarray(fb.normals)  # (3, nf, nq), outward
        self.dofs = fb.element_dofs  # (nb, nf)
        rows = np.broadcast_to(self.dofs[:, None, :], (nb, nb, self.dofs.shape[1]))
        cols = np.broadcast_to(self.dofs[None, :, :], (nb, nb, self.dofs.shape[1]))
        self.r = np.transpose(rows, (2, 0, 1)).ravel()
        self.c = np.transpose(cols, (2, 0, 1)).ravel()

    def interpolate(self, u: np.ndarray) -> np.ndarray:
        return np.einsum("if,ifq->fq", u[self.dofs], self.phi)

    def mass_entries(self, g: np.ndarray) -> np.ndarray:
        """Element entries of ∫ g u v ds, aligned with the global pairs ``(self.r, self.c)``."""
        return np.einsum("ifq,mfq,fq->fim", self.phi, self.phi, g * self.dx).ravel()

    def mass(self, g: np.ndarray) -> sp.csr_matrix:
        return sp.csr_matrix((self.mass_entries(g), (self.r, self.c)), shape=(self.N, self.N))

    def backflow_entries(self, u: np.ndarray, beta: float, rho: float, newton: bool = False):
        """Entries (aligned with ``self.r, self.c``) of the backflow matrix
        (β ρ / 2)|min(u·n, 0)| (``newton=False``) or of its Newton blocks
        −(β ρ / 2)[u·n < 0] n_j u_k as a nested list [k][j] (``newton=True``), as
        :data:`forms.backflow` / :data:`forms.backflow_newton`."""
        W = np.array([self.interpolate(u[k]) for k in range(3)])
        wn = np.einsum("kfq,kfq->fq", W, self.n)
        if not newton:
            return self.mass_entries(0.5 * beta * rho * np.abs(np.minimum(wn, 0.0)))
        coef = -0.5 * beta * rho * (wn < 0)
        return [[self.mass_entries(coef * self.n[j] * W[k]) for j in range(3)]
                for k in range(3)]

    def backflow(self, u: np.ndarray, beta: float, rho: float) -> tuple[sp.csr_matrix, list]:
        """The backflow matrix and its Newton blocks as (N, N) sparse matrices."""
        def m(e):
            return sp.csr_matrix((e, (self.r, self.c)), shape=(self.N, self.N))
        return (m(self.backflow_entries(u, beta, rho)),
                [[m(e) for e in row] for row in self.backflow_entries(u, beta, rho, True)])
