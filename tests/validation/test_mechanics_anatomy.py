"""Frame deployment in lumen surfaces: full vs fast model, ellipse, force balance.

Synthetic anatomies (built here, placed in LPS with an arbitrary rotation and offset so
the placement transform is exercised): a phantom-like aortic root with sinuses, a
circular soft tube and an elliptical, asymmetric root.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from twindesk.sim.mechanics import generic
from twindesk.sim.mechanics.api import place, report
from twindesk.sim.mechanics.deploy import RIGID_N_PER_MM3
from twindesk.sim.mechanics.metrics import LEVELS, level_report, section_at
from twindesk.sim.mechanics.params import Placement, TissueModel
from twindesk.sim.mechanics.synthetic import (RootGeometry, aortic_root_surface,
                                              coronary_ostia_mm, cylinder_surface,
                                              elliptic_tube_surface)

ROT = Rotation.from_euler("xyz", [25.0, -15.0, 40.0], degrees=True).as_matrix()
OFFSET = np.array([12.0, -35.0, 140.0])


def _lps(surface):
    return surface.transformed(ROT, OFFSET)


def _placement(depth_mm=4.0, rotation_deg=0.0):
    return Placement(tuple(OFFSET), tuple(ROT[:, 2]), depth_mm=depth_mm,
                     rotation_deg=rotation_deg, commissure_direction_lps=tuple(ROT[:, 0]))


ANATOMIES = {
    "phantom-like root": lambda: aortic_root_surface(RootGeometry()),
    "circular tube": lambda: cylinder_surface(23.0, -20.0, 60.0, 128, 81),
    "elliptical asymmetric root": lambda: aortic_root_surface(RootGeometry(
        annulus_max_mm=25.5, annulus_min_mm=21.0, annulus_major_angle_deg=30.0,
        sinus_diameter_mm=32.0, stj_diameter_mm=26.0)),
}


@pytest.mark.parametrize("name", list(ANATOMIES))
def test_fast_model_within_half_millimetre_of_full_model(name):
    device = generic.se_flared(26.0)
    tissue = _lps(ANATOMIES[name]())
    full = report(place(device, tissue, _placement(), model="full"))
    fast = report(place(device, tissue, _placement(), model="fast"))
    worst = 0.0
    for level in LEVELS:
        a, b = full["levels"][level], fast["levels"][level]
        assert (a is None) == (b is None)
        if a is None:
            continue
        for key in ("min_mm", "max_mm", "mean_mm"):
            worst = max(worst, abs(a[key] - b[key]))
    assert worst < 0.5, f"{name}: per-level diameters differ by {worst:.2f} mm"


def test_balloon_expandable_fast_model_within_half_millimetre_of_full_model():
    device = generic.be_frame(26.0)
    tissue = _lps(ANATOMIES["elliptical asymmetric root"]())
    full = report(place(device, tissue, _placement(), model="full"))
    fast = report(place(device, tissue, _placement(), model="fast"))
    for level in LEVELS:
        for key in ("min_mm", "max_mm", "mean_mm"):
            assert abs(full["levels"][level][key] - fast["levels"][level][key]) < 0.5


def test_release_in_elliptical_tube_takes_the_tube_eccentricity():
    device = generic.se_cylinder(26.0)
    d_max, d_min = 25.0, 21.0
    tube = _lps(elliptic_tube_surface(d_max, d_min, -20.0, 60.0, 256, 81))
    df = place(device, tube, _placement(depth_mm=5.0),
               tissue_model=TissueModel(foundation_stiffness_n_per_mm3=RIGID_N_PER_MM3),
               model="full")
    tube_ecc = 1 - d_min / d_max
    levels = level_report(df)
    for name in ("inflow", "annulus", "outflow"):
        assert abs(levels[name]["eccentricity"] - tube_ecc) < 0.02, name
        assert abs(levels[name]["max_mm"] - d_max) < 0.15
    # and in the middle of a cell row (between lattice levels)
    x = df.nodes_frame_mm
    z_mid = 0.5 * (x[df.ring(1), 2].mean() + x[df.ring(2), 2].mean())
    assert abs(section_at(df, z_mid).eccentricity - tube_ecc) < 0.02


def test_force_balance_and_definitions_at_convergence():
    device = generic.se_flared(26.0)
    geom = RootGeometry(annulus_max_mm=25.5, annulus_min_mm=21.0)
    tissue = _lps(aortic_root_surface(geom))
    df = place(device, tissue, _placement(depth_mm=5.0, rotation_deg=20.0), model="full")
    conv = df.convergence
    # equilibrium: tissue forces on the frame balance the catheter's axial hold
    total = df.tissue_force_on_frame_n.sum(axis=0) + df.hold_force_frame_n
    scale = np.linalg.norm(df.tissue_force_on_frame_n, axis=1).sum()
    assert np.linalg.norm(total) / scale < 1e-6
    assert conv["force_balance"] < 1e-6
    assert conv["residual_norm_n"] < 1e-4
    # depth is measured at the non-coronary inflow crown, rotation at the reference crown
    assert df.implant_depth_mm == pytest.approx(5.0, abs=0.03)
    nc = df.transform.to_lps(df.nodes_frame_mm[df.nc_node])
    to_nc = ROT.T @ (nc - OFFSET)
    nc_deg = np.degrees(np.arctan2(to_nc[1], to_nc[0]))
    assert abs((nc_deg - 180.0 + 180.0) % 360.0 - 180.0) <= 360.0 / 15 / 2 + 0.5  # ½ cell
    crown0 = df.ring(df.levels - 1)[0]
    feat = ROT.T @ (df.transform.to_lps(df.nodes_frame_mm[crown0]) - OFFSET)
    assert np.degrees(np.arctan2(feat[1], feat[0])) == pytest.approx(20.0, abs=2.0)
    # coronary distances are positive and outputs are complete
    ostia = {k: ROT @ v + OFFSET for k, v in coronary_ostia_mm(geom).items()}
    rep = report(df, ostia)
    assert all(p["distance_mm"] > 0 for p in rep["points"].values())
    assert rep["contact_pressure"]["max_kpa"] > 0
    assert rep["paravalvular_gap"]["area_mm2"] is not None
