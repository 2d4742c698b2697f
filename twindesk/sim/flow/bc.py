"""Boundary data: the inlet velocity profile and the outlet flux functionals.

The *parabolic* inlet profile is the developed laminar profile of the inlet's own shape: the
solution φ of −Δφ = 1 on the inlet face with φ = 0 on its rim (for a circle φ = (R² − r²)/4,
Poiseuille's parabola; for any other section the exact developed duct profile, e.g. White,
*Viscous Fluid Flow*, 3rd ed., §3-3). It is scaled so the discrete flux equals the requested
flow exactly. The *plug* profile is uniform with a no-slip rim.
"""

from __future__ import annotations

import numpy as np

from twindesk.errors import InputError
from twindesk.sim.flow import forms
from twindesk.sim.flow.domain import FlowDomain


def flux_vectors(domain: FlowDomain, facets: np.ndarray) -> np.ndarray:
    """(3, N2) array c with Q = Σ_k c[k] · u_k = ∫ u·n ds over ``facets`` (n outward)."""
    from skfem import asm

    fb = domain.facet_basis(facets)
    return np.array([asm(forms.normal_component, fb, k=k) for k in range(3)])


def _plane_frame(normal: np.ndarray) -> np.ndarray:
    n = normal / np.linalg.norm(normal)
    a = np.array([1.0, 0.0, 0.0]) if abs(n[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    e1 = np.cross(n, a)
    e1 /= np.linalg.norm(e1)
    return np.array([e1, np.cross(n, e1)])


def parabolic_shape(domain: FlowDomain) -> np.ndarray:
    """φ at ``domain.inlet_dofs`` from the inlet-face Poisson problem (m²)."""
    from scipy.spatial import cKDTree
    from skfem import Basis, ElementTriP2, MeshTri, asm, condense, solve

    facets = domain.facets_of("inlet")
    verts = domain.mesh.facets[:, facets]
    used, local = np.unique(verts, return_inverse=True)
    frame = _plane_frame(np.asarray(domain.inlet.normal_lps, dtype=float))
    xyz = domain.mesh.p[:, used]
    centre = xyz.mean(axis=1, keepdims=True)
    off_plane = np.abs(np.asarray(domain.inlet.normal_lps) @ (xyz - centre)).max()
    if off_plane > 0.05 * np.sqrt(domain.inlet.area_mm2) * 1e-3:
        raise InputError("flow mesh: the inlet face is not planar",
                         "cut the inlet with a plane, or use --profile plug")
    p2d = frame @ (xyz - centre)
    tri = local.reshape(3, -1)
    mesh2d = MeshTri(np.ascontiguousarray(p2d), np.ascontiguousarray(tri))
    b2 = Basis(mesh2d, ElementTriP2())
    A = asm(forms.laplace, b2)
    f = asm(forms.unit_load, b2)
    phi = solve(*condense(A, f, D=b2.get_dofs()))
    q = frame @ (domain.basis_u.doflocs[:, domain.inlet_dofs] - centre)
    dist, idx = cKDTree(b2.doflocs.T).query(q.T)
    if dist.size and dist.max() > 1e-6 * np.sqrt(domain.inlet.area_mm2) * 1e-3:
        raise InputError("flow mesh: inlet dofs do not match the inlet face",
                         "regenerate the flow mesh")
    return np.maximum(phi[idx], 0.0)


def inlet_velocity(domain: FlowDomain, flow_m3_s: float, profile: str) -> np.ndarray:
    """(3, len(inlet_dofs)) velocity (m/s) at the inlet dofs carrying ``flow_m3_s`` inwards."""
    if profile == "parabolic":
        shape = parabolic_shape(domain)
    elif profile == "plug":
        shape = np.ones(len(domain.inlet_dofs))
    else:
        raise InputError(f"inlet profile '{profile}' unknown", "use 'parabolic' or 'plug'")
    n = np.asarray(domain.inlet.normal_lps, dtype=float)
    c = flux_vectors(domain, domain.facets_of("inlet"))[:, domain.inlet_dofs]
    out_flux_per_unit = -(n @ c) @ shape  # flux of u = -shape·n, outward-positive
    if not out_flux_per_unit < 0:
        raise InputError("flow mesh: the inlet has no area", "check the inlet labelling")
    scale = -flow_m3_s / out_flux_per_unit
    return -np.outer(n, shape * scale)
