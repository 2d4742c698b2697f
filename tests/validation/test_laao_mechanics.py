"""Occluder deployment verification through the LAAO placement and measurements.

An "appendage" that is a tube (open at both ends, axis along -z from the ostium plane
z = 0) with rigid walls (5 N/mm³ penalty, < 0.02 mm penetration at these forces):

* circular 22 mm: the device takes the cylinder's diameter at the landing zone (within
  0.15 mm) and the compression is (27 - 22) / 27 = 18.5 % (within 0.6 points); no gap;
  device axis along the appendage axis (< 1 degree); full and fast models agree;
* elliptical 25 x 19 mm: the device section's eccentricity equals the tube's 0.24 within
  0.03;
* refinement: 4 -> 8 beam elements per strut changes the landing-zone diameter by
  < 0.1 mm (compression by < 0.4 points).
"""

from __future__ import annotations

import numpy as np
import pytest

from twindesk.model.devices import load_library
from twindesk.sim.laao import metrics as lm
from twindesk.sim.laao.placement import make_plan
from twindesk.sim.mechanics import api
from twindesk.sim.mechanics.deploy import RIGID_N_PER_MM3
from twindesk.sim.mechanics.library import device_from_library
from twindesk.sim.mechanics.params import SolverOptions, TissueModel
from twindesk.sim.mechanics.synthetic import cylinder_surface, elliptic_tube_surface

RIGID = TissueModel(foundation_stiffness_n_per_mm3=RIGID_N_PER_MM3)


@pytest.fixture(scope="module")
def device27():
    lib = load_library(include_user=False)
    return device_from_library(lib, "laao-flxlike", 27.0)


def plan_in_tube(device, depth_mm=2.0):
    """Ostium plane z = 0, appendage toward -z, landing zone 2 mm in."""
    down = (0.0, 0.0, -1.0)
    return make_plan(device, depth_mm, (0.0, 0.0, 0.0), down, (0.0, 0.0, -2.0), down, 2.0,
                     down, down, "test")


def deployed(device, tube, model, options=None):
    plan = plan_in_tube(device)
    kw = {} if options is None else {"options": options}
    df = api.place(device, tube, plan.placement, tissue_model=RIGID, model=model, **kw)
    return lm.occluder_report(df, plan), df


@pytest.mark.parametrize("model", ["fast", "full"])
def test_occluder_in_rigid_cylinder_takes_its_diameter(device27, model):
    tube = cylinder_surface(22.0, -40.0, 30.0, 128, 71)
    rep, _ = deployed(device27, tube, model)
    assert rep["landing_zone_device"]["mean_mm"] == pytest.approx(22.0, abs=0.15)
    assert rep["compression_pct"] == pytest.approx(100 * (27 - 22) / 27, abs=0.6)
    assert rep["sealing_gap_mm"] < 0.2
    assert rep["axis_angle_deg"] < 1.0 and rep["ostium_normal_angle_deg"] < 1.0
    assert rep["contact_pressure"]["total_force_n"] > 0


def test_elliptical_ostium_gives_the_tube_eccentricity(device27):
    tube = elliptic_tube_surface(25.0, 19.0, -40.0, 30.0, 256, 71)
    rep, _ = deployed(device27, tube, "fast")
    ecc = rep["landing_zone_device"]["eccentricity"]
    assert ecc == pytest.approx(1 - 19.0 / 25.0, abs=0.03)
    assert rep["landing_zone_device"]["max_mm"] == pytest.approx(25.0, abs=0.4)


def test_results_stable_under_frame_refinement(device27):
    tube = cylinder_surface(22.0, -40.0, 30.0, 128, 71)
    rows = []
    for ne in (4, 8):
        opts = SolverOptions(elements_per_strut=ne, contact_smoothing_mm=0.005)
        rep, _ = deployed(device27, tube, "full", opts)
        rows.append((rep["landing_zone_device"]["mean_mm"], rep["compression_pct"]))
    assert abs(rows[0][0] - rows[1][0]) < 0.1
    assert abs(rows[0][1] - rows[1][1]) < 0.4


def test_shoulder_protrusion_follows_the_implant_depth(device27):
    """Deeper implant -> shoulder further inside: protrusion drops by the depth change."""
    tube = cylinder_surface(22.0, -40.0, 30.0, 128, 71)
    out = []
    for depth in (0.0, 4.0):
        plan = plan_in_tube(device27, depth)
        df = api.place(device27, tube, plan.placement, tissue_model=RIGID, model="fast")
        out.append(lm.occluder_report(df, plan)["shoulder_protrusion_mm"])
    assert out[0] - out[1] == pytest.approx(4.0, abs=0.6)
