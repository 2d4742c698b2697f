"""Bench verification of the frame mechanics (axisymmetric cases, full model).

Crimp-and-release, balloon recoil, release in a rigid cylinder with the radial force
against a reference curve, occluder compression and mesh refinement. All cases are
axisymmetric, so the full model runs on one cyclic sector (exact) in seconds.
"""

from __future__ import annotations

import numpy as np
import pytest

from twindesk.sim.mechanics import generic
from twindesk.sim.mechanics.calibration import calibrate_to_cof
from twindesk.sim.mechanics.contact import CylinderWall
from twindesk.sim.mechanics.deploy import RIGID_N_PER_MM3, _total_radial, crimp, deploy_full
from twindesk.sim.mechanics.fast import FastModel
from twindesk.sim.mechanics.frame import nominal_profile
from twindesk.sim.mechanics.metrics import compression_pct, level_report, ring_section, section_at
from twindesk.sim.mechanics.params import SolverOptions
from twindesk.sim.mechanics.results import FrameTransform, from_result

OPTS = SolverOptions(contact_smoothing_mm=0.005)


def _deployed(device, res, annulus_z=5.0):
    return from_result("full", device, None, FrameTransform.identity(), res, annulus_z, 0,
                       None, 0.0)


def _level_diameters(df) -> np.ndarray:
    """Mean outer diameter of every lattice ring."""
    return np.array([ring_section(df, k).d_mean_mm for k in range(df.levels)])


def test_self_expanding_crimp_to_6mm_then_free_release_returns_to_nominal():
    device = generic.se_flared(26.0)
    crimped = crimp(device, OPTS)
    x = crimped.mesh.nodes_mm
    # crimped: every node inside the 6 mm capsule (penalty penetration < 0.02 mm)
    from twindesk.sim.mechanics.solver import CyclicProblem

    full = CyclicProblem(crimped.mesh, device.material, OPTS).expand(crimped.state)
    outer = np.hypot(full.x[:, 0], full.x[:, 1]) + 0.5 * crimped.mesh.thickness_mm
    assert outer.max() < 6.0 + 0.02
    # the crowns transformed (the test is not elastic): martensite fraction well above 0
    assert np.abs(crimped.state.fibre[..., 0]).max() > 0.3
    res = deploy_full(crimped, [])
    df = _deployed(device, res)
    prof = nominal_profile(device)
    z_nom = crimped.mesh.level_z_nominal_mm
    nominal = 2 * prof.radius(z_nom) + crimped.mesh.thickness_mm
    assert np.abs(_level_diameters(df) - nominal).max() < 0.2
    assert np.abs(res.state.x - x).max() < 0.2      # back to the heat-set shape everywhere


def test_balloon_expansion_then_release_recoils_within_range():
    """Recoil (balloon outer diameter − free frame diameter) / balloon diameter; the
    expected range 2–6 % stands in for the device library's published range."""
    device = generic.be_frame(26.0)
    res = deploy_full(crimp(device, OPTS), [])
    assert res.balloon_diameter_mm == pytest.approx(26.0)
    df = _deployed(device, res)
    d = _level_diameters(df)
    recoil_pct = 100 * (res.balloon_diameter_mm - d.mean()) / res.balloon_diameter_mm
    assert 2.0 <= recoil_pct <= 6.0, recoil_pct
    assert res.max_strain > 0.05          # plastic hinges formed at the crowns
    height = df.nodes_frame_mm[:, 2].max() - df.nodes_frame_mm[:, 2].min()
    assert height == pytest.approx(device.size.frame_height_mm, rel=0.05)


@pytest.fixture(scope="module")
def calibrated_cylinder_frame():
    device = generic.se_cylinder(26.0)
    curve = generic.reference_cof([20.0, 21.0, 22.0, 23.0, 24.0, 25.0])
    calibrated, fit = calibrate_to_cof(device, curve, OPTS)
    return calibrated, fit


def test_release_in_rigid_cylinder_matches_diameter_and_reference_force(
        calibrated_cylinder_frame):
    device, fit = calibrated_cylinder_frame
    assert fit.max_relative_error < 0.15            # the fit itself reproduces the curve
    d_cyl = 22.0
    res = deploy_full(crimp(device, OPTS), [CylinderWall(0.5 * d_cyl, True, RIGID_N_PER_MM3,
                                                          "tube")])
    df = _deployed(device, res, annulus_z=10.0)
    assert np.abs(_level_diameters(df) - d_cyl).max() < 0.1
    mid = section_at(df, 0.5 * (df.nodes_frame_mm[:, 2].max()))
    assert abs(mid.d_mean_mm - d_cyl) < 0.1
    force = sum(np.linalg.norm(c.force, axis=1).sum() for c in res.contacts.values())
    reference = generic.reference_cof([d_cyl])[0, 1]
    assert abs(force - reference) / reference < 0.15
    assert res.force_balance < 1e-8


def test_fast_model_calibrates_to_reference_curve(calibrated_cylinder_frame):
    device = generic.se_cylinder(26.0)
    curve = generic.reference_cof([20.0, 21.0, 22.0, 23.0, 24.0, 25.0])
    fast = FastModel.calibrate(device, curve)
    assert fast.calibration.source == "bench curve"
    force = fast.radial_force(np.array([22.0]))[0]
    reference = generic.reference_cof([22.0])[0, 1]
    assert abs(force - reference) / reference < 0.15


def test_occluder_in_rigid_cylinder_gives_cylinder_diameter_and_compression():
    device = generic.occluder(27.0, 20.0)
    d_cyl = 22.0
    res = deploy_full(crimp(device, OPTS), [CylinderWall(0.5 * d_cyl, True, RIGID_N_PER_MM3,
                                                          "tissue")])
    df = _deployed(device, res, annulus_z=6.0)
    sec = section_at(df, 6.0)
    assert abs(sec.d_mean_mm - d_cyl) < 0.1
    expected = 100 * (27.0 - d_cyl) / 27.0
    assert compression_pct(df, 6.0) == pytest.approx(expected, abs=0.5)


def test_mesh_refinement_changes_diameters_by_less_than_0p1mm():
    """4 → 8 beam elements per strut and 6×2 → 8×3 fibres, released into a compliant
    tube (elastic foundation 0.03 N/mm³, 23 mm) that compresses the frame unevenly."""
    device = generic.se_flared(26.0)
    results = []
    for ne, fw, ft in ((4, 6, 2), (8, 8, 3)):
        opts = SolverOptions(elements_per_strut=ne, fibres_width=fw, fibres_thickness=ft,
                             contact_smoothing_mm=0.005)
        res = deploy_full(crimp(device, opts), [CylinderWall(11.5, True, 0.03, "tissue")])
        df = _deployed(device, res)
        results.append((_level_diameters(df), level_report(df)))
    coarse, fine = results
    assert np.abs(coarse[0] - fine[0]).max() < 0.1
    for name in ("annulus", "waist"):
        assert abs(coarse[1][name]["mean_mm"] - fine[1][name]["mean_mm"]) < 0.1


def test_radial_force_is_total_contact_force_on_a_tube():
    """The reported radial force is the sum of the wall's radial contact forces; for a
    cylinder all contact forces are radial, so both measures agree."""
    device = generic.se_cylinder(26.0)
    res = deploy_full(crimp(device, OPTS), [CylinderWall(11.0, True, RIGID_N_PER_MM3, "tube")])

    class _Ev:
        contacts = res.contacts

    radial = _total_radial(_Ev, "tube")
    total = np.linalg.norm(res.contacts["tube"].force, axis=1).sum()
    assert radial == pytest.approx(total, rel=1e-6)
