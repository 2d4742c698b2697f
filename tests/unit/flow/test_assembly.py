"""The fast einsum assembly reproduces the scikit-fem weak forms exactly."""

import numpy as np
import pytest
from skfem import asm

from twindesk.geometry.tube_mesh import straight_tube
from twindesk.sim.flow import forms
from twindesk.sim.flow.assembly import P2Assembler
from twindesk.sim.flow.domain import FlowDomain


@pytest.fixture(scope="module")
def domain():
    m = straight_tube(4.0, 8.0, n_core=2, layer_mm=2.0)
    return FlowDomain(m.points_mm, m.tets, m.boundary_tris, m.region_id)


def test_oseen_and_newton_blocks_match_the_forms(domain):
    bu = domain.basis_u
    u = np.random.default_rng(1).normal(size=(3, bu.N)) * 0.2
    fast = P2Assembler(bu)
    h = np.repeat(domain.element_size_m[:, None], bu.X.shape[1], axis=1)
    w = {f"w{k}": bu.interpolate(u[k]) for k in range(3)}
    ref = asm(forms.oseen, bu, mu=0.0035, rho=1060.0, sd=1.0, h=h, **w)
    W = np.array([fast.interpolate(u[k]) for k in range(3)])
    got = fast.oseen(W, 0.0035, 1060.0, 1.0, h)
    assert abs(ref - got).max() <= 1e-12 * abs(ref).max()
    g = bu.interpolate(u[2]).grad[0]
    ref = asm(forms.newton_coupling, bu, rho=1060.0, g=g)
    got = fast.weighted_mass(1060.0 * fast.interpolate_grad(u[2])[0])
    assert abs(ref - got).max() <= 1e-12 * abs(ref).max()


@pytest.mark.parametrize("sd,beta", [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0)])
def test_newton_jacobian_matches_finite_differences(sd, beta):
    from twindesk.sim.flow.steady import OutletBC, SteadyFlowParams, _Assembler

    m = straight_tube(4.0, 8.0, n_core=2, layer_mm=2.0)
    d = FlowDomain(m.points_mm, m.tets, m.boundary_tris, m.region_id)
    A = _Assembler(d, SteadyFlowParams(2e-6, (OutletBC(2),), backflow_beta=beta,
                                       solver="direct", streamline_diffusion=sd))
    rng = np.random.default_rng(0)
    x = rng.normal(size=3 * len(A.I) + A.N1) * 0.05
    dx = rng.normal(size=x.size) * 0.05

    def residual(x):
        u, _ = A.expand(x)
        s, b = A.system(u)
        return s.matvec(x) - b

    u, _ = A.expand(x)
    s, _ = A.system(u)
    s.J = A.newton_matrix(u, s.K)
    jd = s.matvec(dx)
    eps = 1e-5
    fd = (residual(x + eps * dx) - residual(x - eps * dx)) / (2 * eps)
    assert np.linalg.norm(fd - jd) <= 1e-7 * np.linalg.norm(jd)


def test_backflow_matrices_match_the_forms(domain):
    from twindesk.sim.flow.assembly import FacetAssembler

    fb = domain.facet_basis(domain.facets[2])
    u = np.random.default_rng(2).normal(size=(3, domain.basis_u.N)) * 0.2
    w = {f"w{k}": fb.interpolate(u[k]) for k in range(3)}
    B, blocks = FacetAssembler(fb).backflow(u, 1.0, 1060.0)
    ref = asm(forms.backflow, fb, beta=1.0, rho=1060.0, **w)
    assert abs(ref - B).max() <= 1e-12 * abs(ref).max()
    ref = asm(forms.backflow_newton, fb, beta=1.0, rho=1060.0, k=2, j=1, **w)
    assert abs(ref - blocks[2][1]).max() <= 1e-12 * abs(ref).max()
