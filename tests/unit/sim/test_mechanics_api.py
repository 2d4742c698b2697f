"""Placement transform, parameter records and the fast path of the API."""

from __future__ import annotations

import numpy as np
import pytest

from twindesk.errors import InputError
from twindesk.sim.mechanics import generic
from twindesk.sim.mechanics.api import place, report, scalar_metrics, uncertainty
from twindesk.sim.mechanics.params import (Device, FrameSize, FrameSpec, Placement,
                                           foundation_stiffness_from_wall,
                                           material_from_dict)
from twindesk.sim.mechanics.results import FrameTransform
from twindesk.sim.mechanics.synthetic import RootGeometry, aortic_root_surface


def test_frame_transform_maps_the_annulus_and_rotation():
    pl = Placement((10.0, 20.0, 30.0), (0.0, 0.0, 2.0), depth_mm=5.0, rotation_deg=90.0,
                   commissure_direction_lps=(1.0, 0.0, 0.3))
    tr = FrameTransform.from_placement(pl)
    # annulus centre is at z = depth on the frame axis
    assert np.allclose(tr.to_frame(np.array([[10.0, 20.0, 30.0]])), [[0, 0, 5.0]])
    # frame azimuth 0 (reference crown) lies at +90° from the commissure direction
    p = tr.to_lps(np.array([[1.0, 0.0, 5.0]]))[0] - np.array([10.0, 20.0, 30.0])
    assert np.allclose(p, [0.0, 1.0, 0.0])
    q = np.random.default_rng(0).normal(size=(5, 3))
    assert np.allclose(tr.to_frame(tr.to_lps(q)), q)


def test_parameter_validation_names_the_field():
    with pytest.raises(InputError, match="strut_width_mm"):
        FrameSpec(5, 15, -0.2, 0.4, 6.0)
    with pytest.raises(InputError, match="inflow_diameter_mm"):
        FrameSize(26, 26, 45, 26.0, None, 32.0)
    with pytest.raises(InputError, match="elastic-plastic"):
        Device("balloon-expandable", generic.BE_FRAME, FrameSize(26, 26, 18), generic.NITINOL)
    with pytest.raises(InputError, match="unknown model"):
        material_from_dict({"model": "rubber"})
    mat = material_from_dict({"model": "elastic-plastic", "youngs_modulus_mpa": 233000,
                              "poisson_ratio": 0.35, "yield_stress_mpa": 414,
                              "hardening_modulus_mpa": 1500, "source": "x"})
    assert mat == generic.COBALT_CHROMIUM
    assert foundation_stiffness_from_wall(2.0, 2.0, 11.5) == pytest.approx(0.0302, abs=1e-4)


def test_fast_placement_report_and_uncertainty_intervals():
    device = generic.se_flared()
    tissue = aortic_root_surface(RootGeometry(annulus_max_mm=25.0, annulus_min_mm=22.0))
    pl = Placement((0.0, 0.0, 0.0), (0.0, 0.0, 1.0), depth_mm=4.0,
                   commissure_direction_lps=(1.0, 0.0, 0.0))
    df = place(device, tissue, pl, model="fast")
    rep = report(df)
    assert df.implant_depth_mm == pytest.approx(4.0, abs=0.03)
    ann = rep["levels"]["annulus"]
    # the 22 × 25 mm annulus compresses and ovalises the 26 mm frame
    assert 21.0 < ann["min_mm"] < ann["max_mm"] < 26.0
    assert ann["max_mm"] - ann["min_mm"] > 1.0
    assert 0.0 < ann["eccentricity"] < 1 - 22.0 / 25.0 + 0.02
    assert set(rep["levels"]) == {"inflow", "annulus", "waist", "outflow"}
    unc = uncertainty(device, tissue, pl)
    assert unc["runs"] == 5
    key = "levels.annulus.mean_mm"
    assert unc["low"][key] < unc["nominal"][key] < unc["high"][key]
    assert unc["low"]["implant_depth_mm"] == pytest.approx(2.0, abs=0.05)
    assert set(scalar_metrics(rep)) >= {"levels.inflow.max_mm", "contact_pressure.max_kpa"}
    with pytest.raises(InputError):
        place(device, tissue, pl, model="medium")


def test_records_map_one_to_one_from_library_tables():
    from twindesk.sim.mechanics.params import OccluderSize, record_from_dict

    spec = record_from_dict(FrameSpec, {"rows_of_cells": 5, "cells_per_row": 15,
                                        "strut_width_mm": 0.25, "strut_thickness_mm": 0.45,
                                        "crimped_diameter_mm": 6.0, "source": "generic"})
    assert spec == generic.SE_FRAME
    size = record_from_dict(FrameSize, {"size_mm": 26, "nominal_diameter_mm": 26,
                                        "frame_height_mm": 45, "inflow_diameter_mm": 26,
                                        "waist_diameter_mm": 23, "outflow_diameter_mm": 32,
                                        "radial_force": [[22, 8.0, 14.0], [24, 5.0, 9.0]]})
    assert size.radial_force == ((22.0, 8.0, 14.0), (24.0, 5.0, 9.0))
    occ = record_from_dict(OccluderSize, {"diameter_mm": 27, "depth_mm": 20,
                                          "compression_min_pct": 8, "compression_max_pct": 30,
                                          "ostium_min_mm": 17, "ostium_max_mm": 25})
    assert occ.size_mm == 27
    with pytest.raises(InputError, match="FrameSpec"):
        record_from_dict(FrameSpec, {"rows_of_cells": 5})


def test_fast_calibration_is_cached_on_disk():
    from twindesk.paths import user_cache_dir
    from twindesk.sim.mechanics import api

    device = generic.be_frame(23.0)
    api.fast_model.cache_clear()
    first = api.fast_model(device)
    files = list((user_cache_dir() / "mechanics").glob("*.json"))
    assert len(files) == 1
    api.fast_model.cache_clear()
    again = api.fast_model(device)
    assert again.calibration.reference_profile == first.calibration.reference_profile
    assert np.allclose(again.mesh.nodes_mm, first.mesh.nodes_mm)
