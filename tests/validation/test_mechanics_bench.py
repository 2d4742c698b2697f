"""Bench verification of the frame mechanics (axisymmetric cases, full model on one
cyclic sector): crimp-and-release, balloon recoil, release in a rigid cylinder with the
radial force against a reference curve, occluder compression and mesh refinement."""

from __future__ import annotations

import numpy as np
import pytest

from twindesk.sim.mechanics import generic
from twindesk.sim.mechanics import verification as v
from twindesk.sim.mechanics.contact import CylinderWall
from twindesk.sim.mechanics.deploy import (
    RIGID_N_PER_MM3,
    _total_radial,
    crimp,
    deploy_full,
)


def test_self_expanding_crimp_to_6mm_then_free_release_returns_to_nominal():
    r = v.free_release()
    assert r["crimped_outer_diameter_mm"] < 6.0 + 0.04        # inside the capsule
    assert r["max_martensite_fraction"] > 0.3                   # transformed: not elastic
    assert r["max_level_error_mm"] < 0.2
    assert r["max_node_error_mm"] < 0.2


def test_balloon_expansion_then_release_recoils_within_range():
    """Expected recoil 2–6 % stands in for the device library's published range."""
    r = v.balloon_recoil()
    assert r["balloon_diameter_mm"] == pytest.approx(26.0)
    assert 2.0 <= r["recoil_pct"] <= 6.0
    assert r["max_fibre_strain"] > 0.05                         # plastic hinges at crowns
    assert r["height_mm"] == pytest.approx(generic.be_frame().size.frame_height_mm, rel=0.05)


def test_release_in_rigid_cylinder_matches_diameter_and_reference_force():
    r = v.rigid_cylinder(22.0)
    assert r["fit_max_relative_error"] < 0.15
    assert r["max_ring_diameter_error_mm"] < 0.1
    assert r["mid_section_error_mm"] < 0.1
    assert r["force_relative_error"] < 0.15
    assert r["fast_force_relative_error"] < 0.15
    assert r["force_balance"] < 1e-8


def test_occluder_in_rigid_cylinder_gives_cylinder_diameter_and_compression():
    r = v.occluder_cylinder(22.0)
    assert r["landing_diameter_error_mm"] < 0.1
    assert r["compression_pct"] == pytest.approx(r["expected_compression_pct"], abs=0.5)


def test_mesh_refinement_changes_diameters_by_less_than_0p1mm():
    assert v.refinement()["max_diameter_change_mm"] < 0.1


def test_radial_force_is_total_contact_force_on_a_tube():
    """For a cylinder all contact forces are radial: both force measures agree."""
    device = generic.se_cylinder(26.0)
    res = deploy_full(crimp(device, v.OPTS), [CylinderWall(11.0, True, RIGID_N_PER_MM3,
                                                           "tube")])

    class _Ev:
        contacts = res.contacts

    total = np.linalg.norm(res.contacts["tube"].force, axis=1).sum()
    assert _total_radial(_Ev, "tube") == pytest.approx(total, rel=1e-6)
