"""Derived quantities of a flow solution: pressures on regions and sections, wall shear
stress, flow split, point probes. Inputs in SI (m, m/s, Pa); outputs say their units.

Wall shear stress is the tangential part of the viscous traction on the wall,
``τ_w = μ (∇u + ∇uᵀ) n − ((μ (∇u + ∇uᵀ) n)·n) n``, evaluated from the P2 velocity of the
element next to each wall facet (Taylor–Hood gives it to second order on affine meshes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from twindesk.sim.flow.domain import MM, FlowDomain

PA_PER_MMHG = 133.322387415


def locate(domain: FlowDomain, points_m: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """Element containing each point (3, n) in metres, or -1 outside the mesh."""
    from scipy.spatial import cKDTree

    mesh = domain.mesh
    P = mesh.p[:, mesh.t]  # (3, 4, nel)
    centroid = P.mean(axis=1).T
    tree = cKDTree(centroid)
    # Barycentric coordinates of each point in each candidate (vectorised over candidates).
    T = np.stack([P[:, 1] - P[:, 0], P[:, 2] - P[:, 0], P[:, 3] - P[:, 0]], axis=1)  # (3,3,nel)
    Tinv = np.linalg.inv(np.transpose(T, (2, 0, 1)))  # (nel, 3, 3): columns are edges
    out = np.full(points_m.shape[1], -1)
    # Stretched elements can have many closer centroids than their own: widen the search.
    for k in (16, 256):
        todo_pts = np.flatnonzero(out < 0)
        if not todo_pts.size:
            break
        _, cand = tree.query(points_m.T[todo_pts], k=min(k, mesh.t.shape[1]))
        cand = np.atleast_2d(cand)
        for j in range(cand.shape[1]):
            sub = out[todo_pts] < 0
            if not sub.any():
                break
            pts_idx, e = todo_pts[sub], cand[sub, j]
            rel = points_m.T[pts_idx] - P[:, 0, e].T
            lam = np.einsum("nij,nj->ni", Tinv[e], rel)
            inside = (lam >= -tol).all(axis=1) & (lam.sum(axis=1) <= 1 + tol)
            out[pts_idx[inside]] = e[inside]
    return out


def probe_matrix(basis, points_m: np.ndarray, cells: np.ndarray) -> sp.csr_matrix:
    """Sparse matrix evaluating a scalar field of ``basis`` at points in known cells."""
    x = points_m[:, :, np.newaxis]
    ref = basis.mapping.invF(x, tind=cells)
    phis = np.array([basis.elem.gbasis(basis.mapping, ref, k, tind=cells)[0]
                     for k in range(basis.Nbfun)]).reshape(basis.Nbfun, -1)
    rows = np.tile(np.arange(points_m.shape[1]), basis.Nbfun)
    cols = basis.element_dofs[:, cells].flatten()
    return sp.coo_matrix((phis.flatten(), (rows, cols)),
                         shape=(points_m.shape[1], basis.N)).tocsr()


def sample(domain: FlowDomain, u: np.ndarray, p: np.ndarray, points_mm: np.ndarray):
    """Velocity (3, n) m/s and pressure (n,) Pa at points (n, 3) mm; NaN-free: points outside
    the mesh are dropped and their mask returned as ``inside``."""
    pts = np.asarray(points_mm, dtype=float).T * MM
    cells = locate(domain, pts)
    inside = cells >= 0
    Pu = probe_matrix(domain.basis_u, pts[:, inside], cells[inside])
    Pp = probe_matrix(domain.basis_p, pts[:, inside], cells[inside])
    return np.array([Pu @ u[k] for k in range(3)]), Pp @ p, inside


def region_mean_pressure(domain: FlowDomain, p: np.ndarray, region_id: int) -> float:
    """Area-weighted mean pressure (Pa) over a boundary region."""
    fb = domain.facet_basis(domain.facets[region_id], p1=True)
    vals = np.asarray(fb.interpolate(p))
    return float((vals * fb.dx).sum() / fb.dx.sum())


def section_mean_pressure(domain: FlowDomain, p: np.ndarray, centre_mm, normal,
                          radius_mm: float, n_rings: int = 8) -> float | None:
    """Mean pressure (Pa) over the lumen part of a disk (centre, unit normal, radius in mm);
    ``None`` when no sample point falls inside the mesh."""
    normal = np.asarray(normal, float) / np.linalg.norm(normal)
    a = np.array([1.0, 0, 0]) if abs(normal[0]) < 0.9 else np.array([0, 1.0, 0])
    e1 = np.cross(normal, a)
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(normal, e1)
    pts = [np.asarray(centre_mm, float)]
    for k in range(1, n_rings + 1):
        r = radius_mm * k / n_rings
        th = 2 * np.pi * np.arange(6 * k) / (6 * k)
        pts += list(pts[0] + r * (np.outer(np.cos(th), e1) + np.outer(np.sin(th), e2)))
    pts = np.array(pts)  # ring k holds 6k points, so each point stands for about equal area
    cells = locate(domain, pts.T * MM)
    inside = cells >= 0
    if not inside.any():
        return None
    Pp = probe_matrix(domain.basis_p, pts.T[:, inside] * MM, cells[inside])
    vals = Pp @ p
    return float(vals.mean())


@dataclass
class WallShear:
    """Wall shear stress per wall facet (Pa, facet mean) and per mesh vertex (area-weighted;
    0 off the wall), with facet areas (m²) and centroids (m)."""

    facet_pa: np.ndarray
    facet_area_m2: np.ndarray
    facet_centroid_m: np.ndarray
    vertex_pa: np.ndarray
    on_wall: np.ndarray

    def stats(self, threshold_pa: float = 0.4) -> dict:
        a = self.facet_area_m2
        return {"mean_pa": float((self.facet_pa * a).sum() / a.sum()),
                "max_pa": float(self.facet_pa.max()),
                "area_below_threshold_mm2": float(a[self.facet_pa < threshold_pa].sum() / MM**2),
                "threshold_pa": threshold_pa,
                "wall_area_mm2": float(a.sum() / MM**2)}


def wall_shear_stress(domain: FlowDomain, u: np.ndarray, mu_pa_s: float,
                      facets: np.ndarray | None = None) -> WallShear:
    """Wall shear stress on the wall facets (or on ``facets``)."""
    from skfem import ElementTetP2, FacetBasis

    facets = domain.facets_of("wall") if facets is None else facets
    fb = FacetBasis(domain.mesh, ElementTetP2(), facets=facets, intorder=2)
    G = np.array([fb.interpolate(u[k]).grad for k in range(3)])  # (i, j, nf, nq): ∂_j u_i
    n = fb.normals  # (3, nf, nq), outward
    S = G + np.transpose(G, (1, 0, 2, 3))
    t = mu_pa_s * np.einsum("ijfq,jfq->ifq", S, n)
    t_tan = t - np.einsum("ifq,ifq->fq", t, n)[None] * n
    mag = np.linalg.norm(t_tan, axis=0)
    area = fb.dx.sum(axis=1)
    facet_pa = (mag * fb.dx).sum(axis=1) / area
    verts = domain.mesh.facets[:, facets]
    nv = domain.mesh.p.shape[1]
    acc = np.bincount(verts.ravel(), np.tile(facet_pa * area, 3), minlength=nv)
    wsum = np.bincount(verts.ravel(), np.tile(area, 3), minlength=nv)
    on_wall = wsum > 0
    vertex = np.where(on_wall, acc / np.where(on_wall, wsum, 1.0), 0.0)
    centroid = domain.mesh.p[:, verts].mean(axis=1).T
    return WallShear(facet_pa, area, centroid, vertex, on_wall)


def peak_speed(u: np.ndarray) -> float:
    """Largest velocity magnitude (m/s) over all P2 dofs."""
    return float(np.sqrt((u**2).sum(axis=0)).max())
