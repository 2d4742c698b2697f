"""Frame deployment in lumen surfaces: full vs fast model, ellipse, force balance.

Synthetic anatomies (``verification.ANATOMIES``, placed in LPS with an arbitrary rotation
and offset so the placement transform is exercised): a phantom-like aortic root with
sinuses, a circular soft tube and an elliptical, asymmetric root.
"""

from __future__ import annotations

import numpy as np
import pytest

from twindesk.sim.mechanics import generic
from twindesk.sim.mechanics import verification as v
from twindesk.sim.mechanics.api import place, report
from twindesk.sim.mechanics.synthetic import (RootGeometry, aortic_root_surface,
                                              coronary_ostia_mm)

ROT, OFFSET = v.ROTATION, v.OFFSET


@pytest.mark.parametrize("name", list(v.ANATOMIES))
def test_fast_model_within_half_millimetre_of_full_model(name):
    assert v.fast_vs_full(name)["max_diameter_difference_mm"] < 0.5


def test_balloon_expandable_fast_model_within_half_millimetre_of_full_model():
    r = v.fast_vs_full("elliptical asymmetric root", generic.be_frame(26.0))
    assert r["max_diameter_difference_mm"] < 0.5


def test_release_in_elliptical_tube_takes_the_tube_eccentricity():
    r = v.elliptical_tube(25.0, 21.0)
    assert max(r["eccentricity_errors"].values()) < 0.02
    assert r["max_diameter_error_mm"] < 0.15


def test_force_balance_and_definitions_at_convergence():
    device = generic.se_flared(26.0)
    geom = RootGeometry(annulus_max_mm=25.5, annulus_min_mm=21.0)
    tissue = v.in_lps(aortic_root_surface(geom))
    df = place(device, tissue, v.placement(depth_mm=5.0, rotation_deg=20.0), model="full")
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
