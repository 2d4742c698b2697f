"""Occluder deployment verification through the LAAO placement and measurements
(:mod:`twindesk.sim.laao.verification`): an "appendage" that is an open tube along -z from
the ostium plane z = 0, rigid walls (5 N/mm³ penalty, < 0.02 mm penetration here).

* circular 22 mm: the device takes the cylinder's diameter at the landing zone (within
  0.15 mm) and the compression is (27 - 22) / 27 = 18.5 % (within 0.6 points); no gap
  (< 0.2 mm); device axis along the appendage axis (< 1 degree); fast and full agree;
* elliptical 25 x 19 mm: the device section's eccentricity equals the tube's 0.24 within
  0.03, its major diameter within 0.4 mm;
* refinement: 4 -> 8 beam elements per strut change the landing-zone diameter by
  < 0.1 mm and the compression by < 0.4 points;
* implant depth: 4 mm deeper lowers the shoulder protrusion by 4 mm (within 0.6 mm).
"""

from __future__ import annotations

import pytest

from twindesk.sim.laao import verification as v


@pytest.mark.parametrize("model", ["fast", "full"])
def test_occluder_in_rigid_cylinder_takes_its_diameter(model):
    r = v.cylinder(22.0, model)
    assert r["landing_diameter_error_mm"] < 0.15
    assert r["compression_pct"] == pytest.approx(r["expected_compression_pct"], abs=0.6)
    assert r["sealing_gap_mm"] < 0.2
    assert r["axis_angle_deg"] < 1.0
    assert r["total_force_n"] > 0


def test_elliptical_ostium_gives_the_tube_eccentricity():
    r = v.elliptical(25.0, 19.0)
    assert r["eccentricity_error"] < 0.03
    assert r["max_diameter_error_mm"] < 0.4


def test_results_stable_under_frame_refinement():
    r = v.refinement()
    assert r["diameter_change_mm"] < 0.1
    assert r["compression_change_pct"] < 0.4


def test_shoulder_protrusion_follows_the_implant_depth():
    r = v.shoulder_vs_depth()
    assert r["protrusion_drop_mm"] == pytest.approx(4.0, abs=0.6)
