"""Co-rotational fibre beam: consistency and analytic cantilever solutions."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from twindesk.sim.mechanics import generic
from twindesk.sim.mechanics.beam import BeamNetwork
from twindesk.sim.mechanics.frame import FrameMesh, Profile, build_frame
from twindesk.sim.mechanics.params import ElasticPlastic
from twindesk.sim.mechanics.rotations import expm, left_jacobian_inverse, logm

ELASTIC = ElasticPlastic(200000.0, 0.3, 1e12, 0.0)


def _cantilever(n_el=10, length=10.0, width=0.25, thickness=0.45) -> FrameMesh:
    x = np.column_stack([np.linspace(0, length, n_el + 1), np.zeros(n_el + 1),
                         np.zeros(n_el + 1)])
    el = np.column_stack([np.arange(n_el), np.arange(1, n_el + 1)])
    frames = np.tile(np.eye(3), (n_el, 1, 1))              # axis x, width y, thickness z
    z = np.zeros(n_el + 1, int)
    return FrameMesh(x, el, frames, z[:-1], z - 1, z - 1, np.ones(n_el + 1), z, z,
                     np.zeros(n_el + 1), np.ones(n_el + 1), width, thickness, 1, 1,
                     Profile((0.0, 1.0), (1.0, 1.0)), np.zeros(1))


def _solve_cantilever(mesh, tip_force, steps=5):
    net = BeamNetwork(mesh, ELASTIC, 6, 2)
    n = mesh.n_nodes
    x, rot, fib = mesh.nodes_mm.copy(), np.tile(np.eye(3), (n, 1, 1)), net.initial_state()
    dofs = (6 * mesh.elements[:, :, None] + np.arange(6)).reshape(-1, 12)
    free = np.arange(6, 6 * n)
    for lam in np.linspace(0, 1, steps + 1)[1:]:
        f_ext = np.zeros(6 * n)
        f_ext[6 * (n - 1):6 * (n - 1) + 3] = lam * np.asarray(tip_force)
        for _ in range(30):
            fe, ke, _, _ = net.evaluate(x, rot, fib)
            r = np.bincount(dofs.ravel(), fe.ravel(), minlength=6 * n) - f_ext
            if np.linalg.norm(r[free]) < 1e-10:
                break
            k = sp.csr_matrix((ke.ravel(), (np.repeat(dofs, 12, 1).ravel(),
                                            np.tile(dofs, (1, 12)).ravel())), (6 * n,) * 2)
            du = np.zeros(6 * n)
            du[free] = spsolve(k[free][:, free].tocsc(), -r[free])
            du = du.reshape(-1, 6)
            x = x + du[:, :3]
            rot = expm(du[:, 3:]) @ rot
        else:
            raise AssertionError("cantilever Newton did not converge")
    return x


def test_small_deflection_matches_euler_bernoulli():
    mesh = _cantilever()
    ei = ELASTIC.youngs_modulus_mpa * mesh.thickness_mm * mesh.width_mm ** 3 / 12
    p = 1e-4
    x = _solve_cantilever(mesh, [0.0, -p, 0.0], steps=1)
    assert -x[-1, 1] == pytest.approx(p * 10.0 ** 3 / (3 * ei), rel=1e-3)


def test_large_deflection_matches_elastica():
    """Tip-loaded cantilever, P L²/EI = 1: tip deflections 0.30172 L (transverse) and
    0.05643 L (axial shortening) (Mattiasson, Int J Numer Meth Eng 1981;17:145)."""
    mesh = _cantilever(n_el=16)
    ei = ELASTIC.youngs_modulus_mpa * mesh.thickness_mm * mesh.width_mm ** 3 / 12
    x = _solve_cantilever(mesh, [0.0, -ei / 10.0 ** 2, 0.0])
    assert -x[-1, 1] / 10.0 == pytest.approx(0.30172, abs=2e-3)
    assert (10.0 - x[-1, 0]) / 10.0 == pytest.approx(0.05643, abs=1e-3)


def test_tangent_equals_finite_difference_of_forces():
    mesh = build_frame(generic.se_flared(), 2)
    net = BeamNetwork(mesh, generic.NITINOL)
    rng = np.random.default_rng(3)
    x = mesh.nodes_mm + 0.3 * rng.standard_normal(mesh.nodes_mm.shape)
    rot = expm(0.3 * rng.standard_normal((mesh.n_nodes, 3)))
    st = net.initial_state()
    fe, ke, _, _ = net.evaluate(x, rot, st)
    e, h = 7, 1e-6
    a, b = mesh.elements[e]
    for slot, node in ((0, a), (1, b)):
        for c in range(6):
            xp, xm, rp, rm = x.copy(), x.copy(), rot.copy(), rot.copy()
            if c < 3:
                xp[node, c] += h
                xm[node, c] -= h
            else:
                w = np.zeros(3)
                w[c - 3] = h
                rp[node], rm[node] = expm(w) @ rot[node], expm(-w) @ rot[node]
            fd = (net.evaluate(xp, rp, st, False)[0][e] - net.evaluate(xm, rm, st, False)[0][e])
            fd /= 2 * h
            col = ke[e][:, 6 * slot + c]
            assert np.abs(fd - col).max() <= 1e-5 * max(1.0, np.abs(fd).max())


def test_rotation_helpers_round_trip():
    rng = np.random.default_rng(0)
    w = rng.uniform(-1, 1, (50, 3))
    assert np.allclose(logm(expm(w)), w, atol=1e-12)
    # d log(exp(dφ) R) / dφ = J⁻¹(log R)
    r = expm(w[0])
    h = 1e-6
    jac = np.column_stack([(logm(expm(h * e) @ r) - logm(expm(-h * e) @ r)) / (2 * h)
                           for e in np.eye(3)])
    assert np.allclose(jac, left_jacobian_inverse(w[0]), atol=1e-7)
