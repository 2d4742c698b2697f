"""Probes evaluated at every time step, precomputed as row vectors (one dot product per
step): region-mean and section-mean pressures, point velocities."""

from __future__ import annotations

import numpy as np

from twindesk.errors import InputError
from twindesk.sim.flow import forms, post
from twindesk.sim.flow.domain import MM, FlowDomain


def region_mean_row(domain: FlowDomain, region_id: int) -> np.ndarray:
    """``m`` with ``m @ p`` = area-weighted mean of the P1 pressure over a boundary region."""
    from skfem import asm

    fb = domain.facet_basis(domain.facets[region_id], p1=True)
    m = asm(forms.unit_load, fb)
    return m / m.sum()


def section_row(domain: FlowDomain, centre_mm, normal, radius_mm: float,
                n_rings: int = 8) -> np.ndarray:
    """``m`` with ``m @ p`` = mean P1 pressure over the lumen part of a disk (centre, unit
    normal, radius in mm), sampled on rings of ``6k`` points so each sample stands for about
    the same area (as :func:`twindesk.sim.flow.post.section_mean_pressure`)."""
    normal = np.asarray(normal, float) / np.linalg.norm(normal)
    a = np.array([1.0, 0, 0]) if abs(normal[0]) < 0.9 else np.array([0, 1.0, 0])
    e1 = np.cross(normal, a)
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(normal, e1)
    centre = np.asarray(centre_mm, float)
    pts = [centre]
    for k in range(1, n_rings + 1):
        r = radius_mm * k / n_rings
        th = 2 * np.pi * np.arange(6 * k) / (6 * k)
        pts += list(centre + r * (np.outer(np.cos(th), e1) + np.outer(np.sin(th), e2)))
    xyz = np.array(pts).T * MM
    cells = post.locate(domain, xyz)
    inside = cells >= 0
    if not inside.any():
        raise InputError("pressure section: no sample point lies inside the flow mesh",
                         "check the section's centre and normal")
    P = post.probe_matrix(domain.basis_p, xyz[:, inside], cells[inside])
    return np.asarray(P.mean(axis=0)).ravel()


def near_inlet_dofs(domain: FlowDomain, diameters: float) -> np.ndarray:
    """P2 dofs within ``diameters`` inlet diameters of the inlet centre (the valve/root region
    where the systolic jet peaks)."""
    inlet = domain.inlet
    d_in = 2.0 * np.sqrt(inlet.area_mm2 / np.pi)
    c = np.asarray(inlet.center_lps_mm, float)[:, None] * MM
    dist = np.linalg.norm(domain.basis_u.doflocs - c, axis=0)
    return np.flatnonzero(dist <= diameters * d_in * MM)
