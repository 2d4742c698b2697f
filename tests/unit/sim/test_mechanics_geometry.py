"""Surfaces, smooth wall field, contact samples, cyclic symmetry, section metrics."""

from __future__ import annotations

import numpy as np
import pytest

from twindesk.errors import InputError
from twindesk.sim.mechanics import generic
from twindesk.sim.mechanics.contact import CylinderWall, SurfaceWall, smoothed
from twindesk.sim.mechanics.frame import build_frame
from twindesk.sim.mechanics.metrics import _polygon_section, axis_angle_deg, fit_ellipse
from twindesk.sim.mechanics.params import SolverOptions
from twindesk.sim.mechanics.solver import CyclicProblem, FrameProblem
from twindesk.sim.mechanics.surface import TriangleSurface
from twindesk.sim.mechanics.synthetic import cylinder_surface, elliptic_tube_surface


def test_signed_distance_of_a_cylinder():
    surf = cylinder_surface(24.0, -10, 10, 512, 21)
    rng = np.random.default_rng(1)
    r = rng.uniform(5, 18, 200)
    t = rng.uniform(0, 2 * np.pi, 200)
    p = np.column_stack([r * np.cos(t), r * np.sin(t), rng.uniform(-5, 5, 200)])
    d, g, _, _ = surf.signed_distance(p)
    # polygon with 512 sides: within its sagitta of the exact cylinder
    assert np.abs(d - (r - 12.0)).max() < 12.0 * (1 - np.cos(np.pi / 512)) + 1e-9
    radial = p[:, :2] / r[:, None]
    assert np.abs(g[:, :2] - radial).max() < 0.01


def test_smooth_wall_field_is_a_distance_with_exact_derivatives():
    surf = elliptic_tube_surface(25, 21, -20, 20, 256, 41)
    wall = SurfaceWall(surf, 1.0)
    rng = np.random.default_rng(2)
    t = rng.uniform(0, 2 * np.pi, 100)
    p = np.column_stack([11.0 * np.cos(t) * 1.05, 10.0 * np.sin(t), rng.uniform(-5, 5, 100)])
    phi, g, hess = wall.field.evaluate(p)
    d = surf.signed_distance(p)[0]
    near = np.abs(d) < 0.8
    assert near.sum() > 10
    assert np.abs(phi - d)[near].max() < 0.06
    h = 1e-6
    for k in range(3):
        e = np.eye(3)[k] * h
        pp, gp, _ = wall.field.evaluate(p + e)
        pm, gm, _ = wall.field.evaluate(p - e)
        assert np.abs((pp - pm) / (2 * h) - g[:, k])[near].max() < 1e-6
        assert np.abs((gp - gm) / (2 * h) - hess[:, :, k])[near].max() < 1e-5


def test_penalty_smoothing_is_c1():
    p = np.array([-1.0, 0.0, 0.005, 0.01, 0.02])
    phi, dphi = smoothed(p, 0.01)
    assert np.allclose(phi, [0, 0, 0.00125, 0.005, 0.015])
    assert np.allclose(dphi, [0, 0, 0.5, 1.0, 1.0])


def test_contact_samples_cover_the_frame_area_alike_for_coarse_and_fine_meshes():
    device = generic.se_flared()
    coarse, fine = build_frame(device, 1), build_frame(device, 4)
    assert coarse.sample_area_mm2.sum() == pytest.approx(fine.sample_area_mm2.sum())
    assert len(coarse.sample_s) == len(fine.sample_s)

    def pts(m):
        s = m.sample_s[:, None]
        return (1 - s) * m.nodes_mm[m.sample_a] + s * m.nodes_mm[m.sample_b]

    from scipy.spatial import cKDTree

    dist, idx = cKDTree(pts(coarse)).query(pts(fine))
    # one-to-one, up to the chord of the coarse struts (sagitta of the profile < 0.15 mm)
    assert len(np.unique(idx)) == len(idx)
    assert dist.max() < 0.15


def test_cyclic_sector_residual_equals_full_frame_residual():
    device = generic.se_flared()
    mesh = build_frame(device, 2)
    opts = SolverOptions()
    cyc = CyclicProblem(mesh, device.material, opts)
    full = FrameProblem(mesh, device.material, opts)
    wall = CylinderWall(12.0, True, 5.0, "tube")
    cyc.walls, full.walls = [wall], [wall]
    sector = cyc.initial_state()
    sector.x = sector.x * np.array([0.93, 0.93, 1.02])     # a symmetric deformation
    expanded = cyc.expand(sector)
    r_full = full.evaluate(expanded, tangent=False).residual.reshape(-1, 6)
    cyc.constraints = []
    r_sec = cyc.evaluate(sector, tangent=False).residual.reshape(-1, 6)
    assert np.allclose(r_sec, r_full[cyc.map.reps], atol=1e-9)


def test_ellipse_fit_and_section_diameters():
    t = np.linspace(0, 2 * np.pi, 30, endpoint=False)
    pts = np.column_stack([1 + 12.0 * np.cos(t), 2 + 10.0 * np.sin(t)])
    c, a, b, ang = fit_ellipse(pts)
    assert np.allclose(c, [1, 2]) and a == pytest.approx(12) and b == pytest.approx(10)
    sec = _polygon_section(pts, 0.0, 0.25)
    assert sec.d_max_mm == pytest.approx(24.5) and sec.d_min_mm == pytest.approx(20.5)
    assert sec.eccentricity == pytest.approx(1 - 20.5 / 24.5)
    assert axis_angle_deg([0, 0, 1], [0, np.sin(0.2), -np.cos(0.2)]) == pytest.approx(
        np.degrees(0.2))


def test_bad_surfaces_are_rejected():
    with pytest.raises(InputError):
        TriangleSurface(np.zeros((2, 3)), np.array([[0, 1, 2]]))
    with pytest.raises(InputError):
        TriangleSurface(np.zeros((4, 3)), np.array([[0, 1, 7]]))
