"""Fast assembly of the scalar P2 matrices that change every nonlinear step.

The weak forms live in :mod:`twindesk.sim.flow.forms` (one small scikit-fem form per term);
this module evaluates the same integrals with precomputed basis values and ``einsum`` and
scatters them into a fixed sparsity pattern, because re-running the generic form loop for
every Picard/Newton step dominated the solve (measured on a 7,290-tetrahedron aorta: 175 s
of assembly against 75 s of linear algebra). The tests check both paths give the same
matrices.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from twindesk.sim.flow.forms import element_tau


class P2Assembler:
    """Element integrals on the scalar P2 basis of ``domain`` (SI units)."""

    def __init__(self, basis):
        self.basis = basis
        nb = basis.Nbfun
        self.phi = np.array([np.asarray(basis.basis[i][0]) for i in range(nb)])  # (nb, nel, nq)
        self.grad = np.array([basis.basis[i][0].grad for i in range(nb)])  # (nb, 3, nel, nq)
        self.dx = np.asarray(basis.dx)  # (nel, nq)
        dofs = basis.element_dofs  # (nb, nel)
        rows = np.broadcast_to(dofs[:, None, :], (nb, nb, dofs.shape[1]))  # test i
        cols = np.broadcast_to(dofs[None, :, :], (nb, nb, dofs.shape[1]))  # trial m
        # Entry order (e, i, m) matches the einsum outputs below.
        r = np.transpose(rows, (2, 0, 1)).ravel()
        c = np.transpose(cols, (2, 0, 1)).ravel()
        N = basis.N
        pattern = sp.csr_matrix((np.ones(r.size), (r, c)), shape=(N, N))
        pattern.sum_duplicates()
        pattern.sort_indices()
        self.N, self.indptr, self.indices = N, pattern.indptr, pattern.indices
        # CSR keys row·N + col increase monotonically, so each entry's slot is a binary search.
        keys = np.repeat(np.arange(N, dtype=np.int64), np.diff(self.indptr)) * N + self.indices
        self._pos = np.searchsorted(keys, r.astype(np.int64) * N + c)
        self._viscous_unit = None

    def _matrix(self, elem: np.ndarray) -> sp.csr_matrix:
        """Scatter element matrices (nel, nb, nb) [test i, trial m] into the CSR pattern."""
        data = np.bincount(self._pos, weights=elem.ravel(), minlength=len(self.indices))
        return sp.csr_matrix((data, self.indices.copy(), self.indptr.copy()),
                             shape=(self.N, self.N))

    def advective_derivative(self, w: np.ndarray) -> np.ndarray:
        """(w·∇)φ_i at quadrature points for advecting velocity ``w`` (3, nel, nq)."""
        return np.einsum("kdeq,deq->keq", self.grad, w)

    def oseen(self, w: np.ndarray, mu: float, rho: float, sd: float,
              h: np.ndarray) -> sp.csr_matrix:
        """μ∇u·∇v + ρ(w·∇u)v + sd·τρ(w·∇u)(w·∇v), as :data:`forms.oseen`."""
        if self._viscous_unit is None:
            self._viscous_unit = np.einsum("ideq,mdeq,eq->eim", self.grad, self.grad, self.dx)
        a = self.advective_derivative(w)
        elem = mu * self._viscous_unit
        elem = elem + rho * np.einsum("ieq,meq,eq->eim", self.phi, a, self.dx)
        if sd > 0:
            tau = element_tau({"w0": w[0], "w1": w[1], "w2": w[2], "h": h, "mu": mu,
                               "rho": rho})
            elem = elem + sd * rho * np.einsum("ieq,meq,eq->eim", a, a, tau * self.dx)
        return self._matrix(elem)

    def weighted_mass(self, g: np.ndarray) -> sp.csr_matrix:
        """∫ g u v for a weight ``g`` at quadrature points (nel, nq)."""
        return self._matrix(np.einsum("ieq,meq,eq->eim", self.phi, self.phi, g * self.dx))

    def interpolate_grad(self, u: np.ndarray) -> np.ndarray:
        """Gradient (3, nel, nq) of the P2 field with dof values ``u``."""
        return np.einsum("ie,ideq->deq", u[self.basis.element_dofs], self.grad)

    def interpolate(self, u: np.ndarray) -> np.ndarray:
        """Values (nel, nq) of the P2 field with dof values ``u``."""
        return np.einsum("ie,ieq->eq", u[self.basis.element_dofs], self.phi)

    def newton(self, W: np.ndarray, grads: list[np.ndarray], mu: float, rho: float, sd: float,
               h: np.ndarray) -> list[list[sp.csr_matrix]]:
        """Blocks C[k][j] of the Newton term: the derivative of the convective and
        streamline-diffusion residuals with respect to the advecting velocity,
        ``ρ∫(∂_j u_k) φ_m φ_i + sd ρ∫τ[(∂_j u_k) φ_m (u·∇φ_i) + (u·∇u_k) φ_m ∂_jφ_i]
        + sd ρ∫(∂τ/∂u_j) φ_m (u·∇u_k)(u·∇φ_i)`` with ``∂τ/∂u_j = −τ³ (4/h²) u_j``."""
        a = self.advective_derivative(W) if sd > 0 else None
        tau_dx = dtau_dx = None
        if sd > 0:
            tau = element_tau({"w0": W[0], "w1": W[1], "w2": W[2], "h": h, "mu": mu,
                               "rho": rho})
            tau_dx = sd * rho * tau * self.dx
            dtau_dx = -sd * rho * tau**3 * (4.0 / h**2) * self.dx  # times u_j below
        out = []
        for k in range(3):
            r_k = np.einsum("deq,deq->eq", W, grads[k]) if sd > 0 else None
            row = []
            for j in range(3):
                g = grads[k][j]
                elem = np.einsum("ieq,meq,eq->eim", self.phi, self.phi, rho * g * self.dx)
                if sd > 0:
                    elem += np.einsum("ieq,meq,eq->eim", a, self.phi, g * tau_dx)
                    elem += np.einsum("ieq,meq,eq->eim", self.grad[:, j], self.phi, r_k * tau_dx)
                    elem += np.einsum("ieq,meq,eq->eim", a, self.phi, W[j] * r_k * dtau_dx)
                row.append(self._matrix(elem))
            out.append(row)
        return out


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

    def mass(self, g: np.ndarray) -> sp.csr_matrix:
        elem = np.einsum("ifq,mfq,fq->fim", self.phi, self.phi, g * self.dx)
        return sp.csr_matrix((elem.ravel(), (self.r, self.c)), shape=(self.N, self.N))

    def backflow(self, u: np.ndarray, beta: float, rho: float) -> tuple[sp.csr_matrix, list]:
        """The backflow matrix (β ρ / 2)|min(u·n, 0)| and its Newton blocks
        −(β ρ / 2)[u·n < 0] n_j u_k, as :data:`forms.backflow` / :data:`forms.backflow_newton`."""
        W = np.array([self.interpolate(u[k]) for k in range(3)])
        wn = np.einsum("kfq,kfq->fq", W, self.n)
        B = self.mass(0.5 * beta * rho * np.abs(np.minimum(wn, 0.0)))
        coef = -0.5 * beta * rho * (wn < 0)
        blocks = [[self.mass(coef * self.n[j] * W[k]) for j in range(3)] for k in range(3)]
        return B, blocks
