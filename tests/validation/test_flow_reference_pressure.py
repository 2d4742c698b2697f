"""Outlet reference (distal) pressures in the steady solver: a pressure common to all outlets
only shifts the pressure field, and unequal ones split the flow as the lumped outlets say.

Regression: a calibrated circulation's ~10 mmHg distal pressure used to dominate the residual
scale, so a solve looked converged (or skipped its flow continuation) far from the solution.
"""

import numpy as np
import pytest

from twindesk.geometry.tube_mesh import ArchParams, aortic_arch, axisymmetric_duct
from twindesk.sim.flow.domain import FlowDomain, regions_from_triangles
from twindesk.sim.flow.verify import stenosis_radius
from twindesk.sim.flow.steady import OutletBC, SteadyFlowParams, solve_steady

RHO, MU = 1060.0, 0.0035
PA_PER_MMHG = 133.322


def _stenosis():
    m = axisymmetric_duct(stenosis_radius, np.linspace(-9.0, 15.0, 25), 4)
    return FlowDomain(m.points_mm, m.tets, m.boundary_tris, m.region_id)


def test_common_reference_pressure_shifts_pressure_only():
    d = _stenosis()
    # Re 200 upstream of a 50 % stenosis (R 3 mm): a jet, far from the Stokes solution.
    q = 200 * MU / (RHO * 0.006) * np.pi * 0.003**2
    r_out = 1e8
    base = solve_steady(d, SteadyFlowParams(q, (OutletBC(2, r_out, 0.0),), RHO, MU))
    p_ref = 10 * PA_PER_MMHG
    shifted = solve_steady(d, SteadyFlowParams(q, (OutletBC(2, r_out, p_ref),), RHO, MU))
    assert shifted.converged and shifted.residuals[-1] < 1e-5
    assert len(shifted.residuals) == len(base.residuals)
    scale = np.abs(base.velocity_m_s).max()
    assert np.abs(shifted.velocity_m_s - base.velocity_m_s).max() <= 1e-10 * scale
    assert shifted.pressure_pa - base.pressure_pa == pytest.approx(p_ref, abs=1e-6)
    assert shifted.outlet_pressure_pa[2] == pytest.approx(r_out * q + p_ref, rel=1e-4)
    # The solution is far from Stokes flow: a solve stopped at its start would fail this.
    stokes = solve_steady(d, SteadyFlowParams(q * 1e-4, (OutletBC(2, r_out, 0.0),), RHO, MU))
    assert np.abs(base.velocity_m_s - stokes.velocity_m_s * 1e4).max() > 0.05 * scale


@pytest.mark.slow
def test_unequal_reference_pressures_split_flow_like_the_lumped_outlets():
    mesh, names = aortic_arch(ArchParams(n_core=3))
    regions = regions_from_triangles(mesh.points_mm, mesh.boundary_tris, mesh.region_id, names)
    d = FlowDomain(mesh.points_mm, mesh.tets, mesh.boundary_tris, mesh.region_id, regions)
    q = 1.0e-3 / 60  # 1 L/min
    ids = [r.id for r in d.outlets]
    resist = {i: 4e8 * (1 if i == 2 else 3) for i in ids}
    # Distal pressures 8–23 mmHg, all different.
    p_ref = {i: (8 + 5 * k) * PA_PER_MMHG for k, i in enumerate(ids)}
    res = solve_steady(d, SteadyFlowParams(q, tuple(OutletBC(i, resist[i], p_ref[i]) for i in ids),
                                           RHO, MU))
    assert res.converged and res.residuals[-1] < 1e-5
    flows = np.array([res.outlet_flow_m3_s[i] for i in ids])
    assert flows.sum() == pytest.approx(q, rel=1e-4)
    assert (flows > 0).all()
    # The 3D drop is ~0.1 % of the outlet pressures: a common root pressure P0 drives every
    # outlet, Q_i = (P0 − P_ref,i) / R_i with Σ Q_i = Q.
    g = np.array([1 / resist[i] for i in ids])
    pr = np.array([p_ref[i] for i in ids])
    p0 = (q + (g * pr).sum()) / g.sum()
    expected = g * (p0 - pr)
    assert np.abs(flows - expected).max() < 0.01 * q
    # The pressure differences drive the split: without them it would be 1/R.
    assert np.abs(g / g.sum() * q - expected).max() > 0.05 * q
    for i, f in zip(ids, flows):
        assert res.outlet_pressure_pa[i] == pytest.approx(resist[i] * f + p_ref[i], rel=1e-9)
