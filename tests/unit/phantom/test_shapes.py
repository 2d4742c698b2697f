"""Signed-distance primitives against closed-form distances."""

from __future__ import annotations

import numpy as np
import pytest

from twindesk.phantom.shapes import CapsuleChain, Ellipsoid, EllipticCylinder, Sphere, Union
from twindesk.phantom.tubes import Centerline, Tube, circular, elliptic, spline_path, straight_path

RNG = np.random.default_rng(7)


def test_sphere_and_union_are_exact():
    a, b = Sphere((0, 0, 0), 5.0), Sphere((20, 0, 0), 3.0)
    p = RNG.uniform(-15, 35, (2000, 3))
    exact = np.minimum(np.linalg.norm(p, axis=1) - 5.0,
                       np.linalg.norm(p - (20, 0, 0), axis=1) - 3.0)
    d = Union([a, b]).sdf(p)
    near = np.abs(exact) < 12.0           # farther away a union reports a lower bound
    assert np.allclose(d[near], exact[near], atol=1e-12)
    assert np.all(d[~near] <= exact[~near] + 1e-12)
    assert np.all(np.sign(d) == np.sign(exact))


def test_ellipsoid_surface_sign_and_axes():
    axes = np.linalg.qr(RNG.normal(size=(3, 3)))[0]
    e = Ellipsoid((1, 2, 3), axes, (30.0, 12.0, 8.0))
    # points on the surface: distance zero; on the axes: exact distance
    u = RNG.normal(size=(500, 3))
    u /= np.linalg.norm(u, axis=1)[:, None]
    surf = np.array([e.surface_point(d) for d in u])
    assert np.abs(e.sdf(surf)).max() < 1e-9
    for k, r in enumerate((30.0, 12.0, 8.0)):
        p = np.array([1, 2, 3]) + (r + 4.0) * axes[k]
        assert e.sdf(p[None])[0] == pytest.approx(4.0, abs=1e-9)
    n = e.outward_normal(surf[0])
    assert e.sdf((surf[0] + 1e-3 * n)[None])[0] > 0


def test_elliptic_cylinder_is_exact_on_axes():
    c = EllipticCylinder((0, 0), 19.0, 16.0, (-10, 10))
    assert c.sdf(np.array([[25.0, 0, 0], [0, -20.0, 0], [0, 0, 14.0]])) == \
        pytest.approx([6.0, 4.0, 4.0])


def test_capsule_chain_matches_brute_force():
    pts = np.array([[0, 0, 0], [10, 5, 0], [20, 5, 10.0]])
    cap = CapsuleChain(pts, 2.0)
    p = RNG.uniform(-10, 30, (3000, 3))
    t = np.linspace(0, 1, 4001)[:, None]
    dense = np.vstack([pts[0] + t * (pts[1] - pts[0]), pts[1] + t * (pts[2] - pts[1])])
    brute = np.array([np.linalg.norm(dense - q, axis=1).min() for q in p]) - 2.0
    assert np.allclose(cap.sdf(p), brute, atol=2e-3)


def test_straight_circular_tube_is_exact():
    cl = Centerline(straight_path((0, 0, 0), (0, 0, 50), 0.4), (1, 0, 0))
    tube = Tube(cl, circular(6.0), 6.0, caps=("flat", "round"))
    p = np.column_stack([RNG.uniform(-12, 12, 4000), RNG.uniform(-12, 12, 4000),
                         RNG.uniform(1, 49, 4000)])
    # flat start cap: the tube is cut by the plane z = 0
    exact = np.maximum(np.hypot(p[:, 0], p[:, 1]) - 6.0, -p[:, 2])
    d = tube.sdf(p)
    near = np.abs(exact) < Tube.BAND_MM
    assert np.allclose(d[near], exact[near], atol=1e-9)
    assert tube.sdf(np.array([[0.0, 0.0, -3.0]]))[0] == pytest.approx(3.0)
    # round cap: a sphere of the end radius
    assert tube.sdf(np.array([[0.0, 0.0, 58.0]]))[0] == pytest.approx(2.0)


def test_curved_tube_matches_torus():
    """A tube along a circular arc of radius 40 mm is a torus section."""
    phi = np.linspace(0, np.pi / 2, 400)
    arc = np.column_stack([40 * np.cos(phi), 40 * np.sin(phi), np.zeros_like(phi)])
    tube = Tube(Centerline(arc, (0, 0, 1)), circular(7.0), 7.0)
    ang = RNG.uniform(0.35, np.pi / 2 - 0.35, 3000)   # away from the flat end caps
    rho = RNG.uniform(30, 50, 3000)
    z = RNG.uniform(-8, 8, 3000)
    p = np.column_stack([rho * np.cos(ang), rho * np.sin(ang), z])
    exact = np.hypot(rho - 40.0, z) - 7.0
    assert np.abs(tube.sdf(p) - exact).max() < 2e-3      # polyline chord error


def test_elliptic_section_zero_set_and_frame():
    cl = Centerline(straight_path((0, 0, 0), (0, 0, 30), 0.4), (1, 0, 0))
    tube = Tube(cl, elliptic(lambda s: np.full_like(s, 12.0), lambda s: np.full_like(s, 8.0)),
                12.0, normalize=True)
    th = np.linspace(0, 2 * np.pi, 100)
    surf = np.column_stack([12 * np.cos(th), 8 * np.sin(th), np.full_like(th, 15.0)])
    assert np.abs(tube.sdf(surf)).max() < 1e-9
    assert tube.sdf(np.array([[14.0, 0, 15], [0, 10.0, 15]])) == pytest.approx([2.0, 2.0], abs=1e-3)


def test_rotation_minimising_frame_stays_orthonormal():
    path = spline_path([(0, 0, 0), (20, 10, 5), (30, 40, -10), (0, 60, 0)], step_mm=0.5)
    cl = Centerline(path, (0, 0, 1))
    assert np.allclose(np.linalg.norm(cl.normal, axis=1), 1.0)
    assert np.abs((cl.normal * cl.tangent).sum(1)).max() < 1e-9
    # rotation-minimising: the frame turns no faster than the tangent does
    dn = np.linalg.norm(np.diff(cl.normal, axis=0), axis=1)
    dt = np.linalg.norm(np.diff(cl.tangent, axis=0), axis=1)
    assert np.all(dn <= dt + 1e-6)


def test_spline_path_respects_end_tangent_and_spacing():
    path = spline_path([(0, 0, 0), (10, 10, 0), (20, 0, 5)], start_tangent=(1, 0, 0),
                       step_mm=0.4)
    start_dir = (path[1] - path[0]) / np.linalg.norm(path[1] - path[0])
    assert start_dir @ np.array([1.0, 0, 0]) > 0.999
    step = np.linalg.norm(np.diff(path, axis=0), axis=1)
    assert step.max() < 0.41 and step.min() > 0.35
