"""Womersley flow: the analytic solution, and the pulsatile solver against it (reduced
meshes here; full size in ``twindesk verify --check womersley``)."""

from __future__ import annotations

import numpy as np
import pytest

from twindesk.sim.pulsatile.womersley import (AMPLITUDE_TOL, MU, PHASE_TOL_DEG, RHO, SIZES,
                                              Womersley, WomersleySize, run_womersley)

R = 0.01
Q = 2e-6


def test_analytic_solution_is_self_consistent():
    """The Bessel formulas agree with each other: the profile integrates to the flow, its
    wall slope gives the shear stress, and it satisfies the momentum equation."""
    for alpha in (1.0, 4.0, 16.0):
        w = Womersley(R, alpha, Q)
        r = np.linspace(0, R, 4001)
        u = w.velocity_hat(r)
        flow = np.trapezoid(2 * np.pi * r * u, r)
        assert abs(flow - Q) < 1e-6 * Q
        h = 1e-7
        du = (w.velocity_hat(R) - w.velocity_hat(R - h)) / h
        assert abs(-MU * du - w.wss_hat) < 2e-4 * abs(w.wss_hat)
        # iωρ û = Ĝ + μ (û'' + û'/r) at an interior radius
        rr, e = 0.4 * R, 1e-3 * R
        d2 = (w.velocity_hat(rr + e) - 2 * w.velocity_hat(rr) + w.velocity_hat(rr - e)) / e ** 2
        d1 = (w.velocity_hat(rr + e) - w.velocity_hat(rr - e)) / (2 * e)
        lhs = 1j * w.omega_rad_s * RHO * w.velocity_hat(rr)
        rhs = w.gradient_hat + MU * (d2 + d1 / rr)
        assert abs(lhs - rhs) < 1e-4 * abs(w.gradient_hat)


def test_analytic_limits_poiseuille_and_inertia():
    slow = Womersley(R, 0.05, Q)  # quasi-steady: Hagen–Poiseuille, in phase with the flow
    assert slow.gradient_hat.real == pytest.approx(8 * MU * Q / (np.pi * R ** 4), rel=1e-3)
    assert abs(np.degrees(np.angle(slow.gradient_hat))) < 0.1
    assert abs(slow.wss_hat) == pytest.approx(4 * MU * Q / (np.pi * R ** 3), rel=1e-3)
    fast = Womersley(R, 60.0, Q)  # inertia-dominated: G ≈ iωρ Q / A, leading by ~90°
    ideal = 1j * fast.omega_rad_s * RHO * Q / (np.pi * R ** 2)
    assert abs(fast.gradient_hat / ideal) == pytest.approx(1.0, abs=0.06)
    assert 80 < np.degrees(np.angle(fast.gradient_hat)) < 90
    # the wall shear leads the flow by 45° in the thin Stokes layer
    assert np.degrees(np.angle(fast.wss_hat)) == pytest.approx(45, abs=3)


@pytest.mark.parametrize("alpha", [4.0, 16.0])
def test_pulsatile_solver_matches_womersley_reduced(alpha):
    """Pressure gradient and axial velocity (axis, half radius): amplitude within 3 % and
    phase within 2° at α = 4 and 16 on reduced meshes (wall shear stress: full size only)."""
    result = run_womersley(alpha, SIZES[(alpha, "reduced")], check_wss=False)
    checked = [c for c in result["comparisons"] if c["checked"]]
    assert {c["quantity"] for c in checked} == {"pressure_gradient_pa_per_m",
                                                 "axial_velocity_r0R_m_s",
                                                 "axial_velocity_r0.5R_m_s"}
    for c in checked:
        assert c["amplitude_error"] <= AMPLITUDE_TOL, c
        assert abs(c["phase_error_deg"]) <= PHASE_TOL_DEG, c
    assert result["steps_per_period"] == 48 and result["solver"] == "direct"


def test_verify_cli_reports_womersley(run_cli, monkeypatch, tmp_path):
    """``twindesk verify --check womersley`` in its JSON form (a coarse size so the test
    only exercises the reporting; its numbers are honest and may fail the tolerance)."""
    from twindesk.sim.pulsatile import womersley

    tiny = WomersleySize(2, 1, 0.3, 0.1, 1.0, 0.5, 12, 1.0)
    monkeypatch.setitem(womersley.SIZES, (4.0, "reduced"), tiny)
    monkeypatch.setitem(womersley.SIZES, (16.0, "reduced"), tiny)
    r = run_cli("verify", "--check", "womersley", "--size", "reduced", "--in-process",
                "--out", tmp_path, "--json")
    assert r.code == 0, r.err
    check = r.json["checks"][0]
    assert check["name"] == "womersley" and check["tolerance"] == 1.0
    runs = check["details"]["runs"]
    assert [run["alpha"] for run in runs] == [4.0, 16.0]
    for run in runs:
        wss = next(c for c in run["comparisons"] if c["quantity"] == "wall_shear_stress_pa")
        assert wss["checked"] is False  # reported, not judged, at reduced size
        g = next(c for c in run["comparisons"] if c["quantity"] == "pressure_gradient_pa_per_m")
        exact = Womersley(0.01, run["alpha"], 1.0)
        assert g["phase_exact_deg"] == pytest.approx(np.degrees(np.angle(exact.gradient_hat)))
    assert check["passed"] == (check["error"] <= 1.0)
