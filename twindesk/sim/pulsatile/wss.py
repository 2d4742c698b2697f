"""Wall shear stress as a linear map of the velocity, for time series and cycle averages.

The wall shear stress vector (force per area of the fluid on the wall, Pa) on a wall facet is
the tangential part of ``−μ (∇u + ∇uᵀ) n`` with ``n`` the outward normal of the fluid domain
(the same traction as :func:`twindesk.sim.flow.post.wall_shear_stress`, with its direction
kept). It is linear in the P2 velocity, so its facet mean is assembled once as a sparse matrix
and each time step costs one sparse product. Cycle measures follow their usual definitions:

* time-averaged WSS ``TAWSS = (1/T) ∫ |τ| dt``;
* oscillatory shear index ``OSI = ½ (1 − |∫ τ dt| / ∫ |τ| dt)`` (Ku et al., Arteriosclerosis
  1985;5:293–302; He & Ku, J Biomech Eng 1996;118:74–82), 0 for unidirectional shear and
  0.5 for purely oscillatory shear.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from twindesk.sim.flow.domain import FlowDomain


class WallShearOperator:
    """Facet-mean WSS vectors ``τ (n_facets, 3)`` = ``op(u)`` for velocity ``u (3, N2)``.

    Parameters
    ----------
    domain
        The flow domain.
    mu_pa_s
        Dynamic viscosity (Pa·s).
    facets
        Wall facets (default: every facet of the ``wall`` regions).
    """

    def __init__(self, domain: FlowDomain, mu_pa_s: float, facets: np.ndarray | None = None):
        from skfem import ElementTetP2, FacetBasis

        self.domain = domain
        self.facets = domain.facets_of("wall") if facets is None else np.asarray(facets)
        fb = FacetBasis(domain.mesh, ElementTetP2(), facets=self.facets, intorder=2)
        n, dx = fb.normals, fb.dx
        nf, n2 = len(self.facets), domain.basis_u.N
        self.area_m2 = dx.sum(axis=1)
        proj = np.eye(3)[:, :, None, None] - n[:, None] * n[None, :]  # (3, 3, nf, nq)
        rows, cols, vals = [], [], []
        r_i = np.arange(3)[:, None, None] * nf + np.arange(nf)[None, None, :]  # (i, ·, f)
        for j in range(fb.Nbfun):
            g = fb.basis[j][0].grad  # (3, nf, nq)
            gn = (g * n).sum(axis=0)
            pg = g - n * gn
            coef = np.einsum("ikfq,fq->ikf", proj, gn * dx) + np.einsum("ifq,kfq->ikf", pg, n * dx)
            coef *= -mu_pa_s / self.area_m2
            c_k = np.arange(3)[None, :, None] * n2 + fb.element_dofs[j][None, None, :]
            rows.append(np.broadcast_to(r_i, coef.shape).ravel())
            cols.append(np.broadcast_to(c_k, coef.shape).ravel())
            vals.append(coef.ravel())
        self.matrix = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows),
                                                            np.concatenate(cols))),
                                    shape=(3 * nf, 3 * n2))
        verts = domain.mesh.facets[:, self.facets]
        self._verts = verts
        self.centroid_m = domain.mesh.p[:, verts].mean(axis=1).T

    def __call__(self, u: np.ndarray) -> np.ndarray:
        return (self.matrix @ np.asarray(u).ravel()).reshape(3, -1).T

    def to_vertices(self, facet_values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Area-weighted average of facet values at the mesh vertices; returns
        ``(vertex_values, on_wall)`` (0 off the wall)."""
        nv = self.domain.mesh.p.shape[1]
        vals = np.asarray(facet_values, float)
        w = np.tile(self.area_m2, 3)
        acc = np.bincount(self._verts.ravel(), np.tile(vals * self.area_m2, 3), minlength=nv)
        wsum = np.bincount(self._verts.ravel(), w, minlength=nv)
        on_wall = wsum > 0
        return np.where(on_wall, acc / np.where(on_wall, wsum, 1.0), 0.0), on_wall


class CycleShear:
    """Accumulates ``∫ τ dt`` and ``∫ |τ| dt`` per facet over a cycle (rectangle rule on
    uniform steps, exact for the trigonometric interpolant of a periodic signal)."""

    def __init__(self, n_facets: int):
        self.sum_vec = np.zeros((n_facets, 3))
        self.sum_mag = np.zeros(n_facets)
        self.count = 0

    def add(self, tau: np.ndarray) -> None:
        self.sum_vec += tau
        self.sum_mag += np.linalg.norm(tau, axis=1)
        self.count += 1

    def tawss_pa(self) -> np.ndarray:
        return self.sum_mag / max(self.count, 1)

    def osi(self) -> np.ndarray:
        mag = np.linalg.norm(self.sum_vec, axis=1)
        safe = np.where(self.sum_mag > 0, self.sum_mag, 1.0)
        return np.where(self.sum_mag > 0, 0.5 * (1.0 - mag / safe), 0.0)

    def state(self) -> dict[str, np.ndarray]:
        return {"sum_vec": self.sum_vec, "sum_mag": self.sum_mag, "count": np.array(self.count)}

    def restore(self, s: dict[str, np.ndarray]) -> None:
        self.sum_vec = np.array(s["sum_vec"], float)
        self.sum_mag = np.array(s["sum_mag"], float)
        self.count = int(s["count"])
