"""The flow-rate continuation's tangent (Euler) predictor, used where a secant through loosely
solved levels extrapolates noise: it must be the solution's derivative in flow rate.

Checked against central differences of converged solutions through a 50 % stenosis at Re 200.
"""

import numpy as np

from twindesk.geometry.tube_mesh import axisymmetric_duct
from twindesk.sim.flow import steady
from twindesk.sim.flow.domain import FlowDomain
from twindesk.sim.flow.steady import OutletBC, SteadyFlowParams, solve_steady
from twindesk.sim.flow.verify import stenosis_radius

RHO, MU = 1060.0, 0.0035


def test_tangent_predictor_is_the_derivative_of_the_solution_in_flow_rate(monkeypatch):
    m = axisymmetric_duct(stenosis_radius, np.linspace(-9.0, 15.0, 25), 4)
    d = FlowDomain(m.points_mm, m.tets, m.boundary_tris, m.region_id)
    q = 200 * MU / (RHO * 0.006) * np.pi * 0.003**2  # Re 200 upstream of the stenosis
    params = SteadyFlowParams(q, (OutletBC(2, 1e8, 0.0),), RHO, MU, tol=1e-10)
    asmb = steady._Assembler(d, params)

    def x_at(frac):
        r = solve_steady(d, SteadyFlowParams(q * frac, params.outlets, RHO, MU, tol=1e-10))
        assert r.converged
        return asmb.reduce(r.velocity_m_s, r.pressure_pa)

    def tangent(at):
        t = steady._tangent(asmb, steady._Linear(asmb, steady._Trace()), at)
        assert t is not None
        return t

    f1, h = 0.5, 0.01
    x1 = x_at(f1)
    # Solved tightly, it is the derivative (the central difference has an O(h²) error).
    central = (x_at(f1 + h) - x_at(f1 - h)) / (2 * h)
    with monkeypatch.context() as mp:
        mp.setattr(steady, "RAMP_TANGENT_RTOL", 1e-8)
        exact = tangent((f1, x1))
    assert np.linalg.norm(exact - central) <= 1e-4 * np.linalg.norm(central)
    # As a predictor 20 % of the flow ahead it is second order; with the solver's loose
    # tolerance its residual is still far below that of the last level's solution itself.
    x2 = x_at(f1 + 0.2)
    assert np.linalg.norm(x1 + 0.2 * exact - x2) <= 0.02 * np.linalg.norm(x2 - x1)
    loose = tangent((f1, x1))
    asmb.set_flow_fraction(f1 + 0.2)
    r_loose, r_const = steady._residual(asmb, x1 + 0.2 * loose), steady._residual(asmb, x1)
    assert r_loose <= 0.2 * r_const
