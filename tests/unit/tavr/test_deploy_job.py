"""The deployment job on synthetic anatomies: every number has a unit and an interval, risk
figures follow their definitions, the full model runs in a child process and cancels."""

from __future__ import annotations

import time

import numpy as np
import pytest

from twindesk.errors import Cancelled
from twindesk.jobs import CancelToken
from twindesk.model.devices import load_library
from twindesk.sim.mechanics.library import device_from_library
from twindesk.sim.mechanics.synthetic import (RootGeometry, aortic_root_surface,
                                              coronary_ostia_mm)
from twindesk.sim.tavr import deploy_job as dj
from twindesk.sim.tavr.anatomy import Ostium, RootAnatomy
from twindesk.sim.tavr.place_job import device_info

LIB = load_library(include_user=False)
ROT = np.array([[0.0, -0.6, 0.8], [1.0, 0.0, 0.0], [0.0, 0.8, 0.6]]).T   # proper rotation
OFFSET = np.array([12.0, -30.0, -140.0])


def _lps(p):
    return ROT @ np.asarray(p, float) + OFFSET


def synthetic_params(geom: RootGeometry, family_id: str, size_mm: float, model="fast",
                     depth_mm=None, body=dj.BodySize(1.80, 24.0, 170, 69.4, "test"),
                     uncertainty=True):
    """Deployment parameters in a synthetic root placed in LPS by ROT/OFFSET."""
    surf = aortic_root_surface(geom)
    ostia = coronary_ostia_mm(geom)
    anat = RootAnatomy(
        annulus_center_lps_mm=tuple(_lps([0, 0, 0])), annulus_normal_lps=tuple(ROT[:, 2]),
        commissure_direction_lps=tuple(ROT[:, 0]),
        noncoronary_direction_lps=tuple(-ROT[:, 0]),
        commissure_height_mm=geom.stj_height_mm, commissure_height_source="test",
        ostia=tuple(Ostium(s, tuple(_lps(p)), float(p[2]), "user") for s, p in ostia.items()),
        membranous_septum_mm=(7.0, 6.5, 7.5))
    fam = LIB.family(family_id)
    info = device_info(LIB, fam, size_mm)
    return dj.DeployParams(device_from_library(LIB, fam, size_mm), info,
                           surf.points @ ROT.T + OFFSET, surf.faces, anat,
                           info.default_depth_mm if depth_mm is None else depth_mm, 0.0,
                           model, body, uncertainty)


def _intervals(obj, path=""):
    """Every {"value", "low", "high", "unit"} in a result, with its path."""
    if isinstance(obj, dict):
        if "value" in obj and "unit" in obj:
            yield path, obj
            return
        for k, v in obj.items():
            yield from _intervals(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _intervals(v, f"{path}[{i}]")


@pytest.fixture(scope="module")
def se_in_root():
    geom = RootGeometry(annulus_max_mm=25.0, annulus_min_mm=22.0)
    params = synthetic_params(geom, "se-valve-evolutlike", 26.0)
    return params, dj.run(params)


def test_every_number_has_a_unit_and_an_interval(se_in_root):
    params, out = se_in_root
    r = out.result
    ivs = dict(_intervals(r))
    assert len(ivs) > 40
    for path, iv in ivs.items():
        assert iv["low"] <= iv["value"] <= iv["high"], path
        assert iv["unit"], path
    assert ivs[".levels.annulus.min_diameter_mm"]["unit"] == "mm"
    assert ivs[".contact_pressure.max_kpa"]["unit"] == "kPa"
    assert ivs[".paravalvular_gap.area_mm2"]["unit"] == "mm²"
    assert ivs[".eoa.indexed_eoa_cm2_per_m2"]["unit"] == "cm²/m²"
    # the depth perturbation (±2 mm) shows in the implant depth's interval
    depth = r["implant_depth_mm"]
    assert depth["value"] == pytest.approx(params.depth_mm, abs=0.05)
    assert depth["low"] == pytest.approx(params.depth_mm - 2, abs=0.1)
    assert depth["high"] == pytest.approx(params.depth_mm + 2, abs=0.1)
    # stiffness perturbations move the contact pressure both ways
    p = r["contact_pressure"]["max_kpa"]
    assert p["low"] < p["value"] < p["high"]
    assert r["uncertainty"]["runs"] == 5 and r["uncertainty"]["failed_runs"] == []


def test_levels_and_risks_follow_their_definitions(se_in_root):
    params, out = se_in_root
    r = out.result
    ann = r["levels"]["annulus"]
    # a 26 mm frame in a 25 x 22 mm annulus: compressed and oval
    assert 21.0 < ann["min_diameter_mm"]["value"] < ann["max_diameter_mm"]["value"] < 26.0
    assert ann["eccentricity"]["value"] == pytest.approx(
        1 - ann["min_diameter_mm"]["value"] / ann["max_diameter_mm"]["value"], abs=1e-9)
    assert ann["height_above_annulus_mm"] == pytest.approx(0.0, abs=1e-9)
    assert r["levels"]["inflow"]["height_above_annulus_mm"] == pytest.approx(
        -params.depth_mm, abs=0.3)
    # MSID = septum length - implant depth, interval from both intervals
    msid = r["conduction"]["msid_mm"]
    depth = r["implant_depth_mm"]
    assert msid["value"] == pytest.approx(7.0 - depth["value"], abs=1e-9)
    assert msid["low"] == pytest.approx(6.5 - depth["high"], abs=1e-9)
    assert r["conduction"]["risk"] == "low"
    # EOA indexed by BSA; 1.69 cm² / 1.80 m² = 0.94: no mismatch; SD carried over
    e = r["eoa"]
    assert e["projected_eoa_cm2"]["value"] == params.info.eoa_cm2
    assert e["indexed_eoa_cm2_per_m2"]["value"] == pytest.approx(params.info.eoa_cm2 / 1.80)
    assert e["indexed_eoa_cm2_per_m2"]["high"] - e["indexed_eoa_cm2_per_m2"]["value"] == \
        pytest.approx(params.info.eoa_sd_cm2 / 1.80)
    assert e["ppm"] == "none"
    # coronaries: both ostia below the leaflet free edge (STJ 19 mm) and clear of the frame
    for side in ("left", "right"):
        c = r["coronary"][side]
        assert c["leaflet_reaches_ostium"] is True
        assert 0 < c["vtc_mm"]["value"] < 10
        assert c["vtc_high_risk"] == (c["vtc_mm"]["value"] < 4.0)
        # below the free edge the displaced leaflet is no farther than its cylinder
        assert c["distance_to_leaflet_mm"]["value"] <= c["vtc_mm"]["value"] + 0.05
    # geometry handed back for storing: frame lines, pressure per tissue point
    assert out.frame_lines.max() < len(out.frame_points_lps_mm)
    assert len(out.contact_pressure_kpa) == len(out.tissue_points_lps_mm)
    assert out.contact_pressure_kpa.max() == pytest.approx(r["contact_pressure"]["max_kpa"]
                                                           ["value"], rel=1e-9)


def test_low_coronary_in_a_narrow_root_is_flagged():
    """Sinus barely wider than the frame, ostium 8 mm up: VTC < 4 mm, high risk."""
    geom = RootGeometry(annulus_max_mm=23.0, annulus_min_mm=23.0, sinus_diameter_mm=27.0,
                        ostium_height_mm=8.0, stj_diameter_mm=25.0)
    params = synthetic_params(geom, "be-valve-s3like", 23.0, uncertainty=False,
                              body=dj.BodySize(2.3, 32.0, 180, 103.7, "test"))
    r = dj.run(params).result
    assert all(c["vtc_high_risk"] for c in r["coronary"].values())
    assert all(c["vtc_mm"]["value"] < 4.0 for c in r["coronary"].values())
    # 1.45 cm² / 2.3 m² = 0.63 with BMI 32: moderate by the obese thresholds (> 0.55)
    assert r["eoa"]["ppm"] == "moderate"
    assert r["eoa"]["ppm_thresholds"]["rule"] == "bmi_30_or_more"
    assert r["uncertainty"] is None


def test_full_model_in_a_child_process():
    """The full model runs in a spawned child (as the desktop window does) and agrees with
    the fast model within 0.5 mm at the annulus."""
    from twindesk.jobs.subprocess_runner import run_in_subprocess

    geom = RootGeometry(annulus_max_mm=24.0, annulus_min_mm=22.0)
    params = synthetic_params(geom, "be-valve-s3like", 23.0, model="full", uncertainty=False)
    seen = []
    out = run_in_subprocess("twindesk.sim.tavr.deploy_job:run", params,
                       lambda f, m="": seen.append(f))
    assert out.result["model"] == "full" and seen and seen[-1] == pytest.approx(1.0)
    fast = dj.run(synthetic_params(geom, "be-valve-s3like", 23.0, uncertainty=False)).result
    for key in ("min_diameter_mm", "max_diameter_mm"):
        assert abs(out.result["levels"]["annulus"][key]["value"]
                   - fast["levels"]["annulus"][key]["value"]) < 0.5


def test_cancel_stops_the_child_job_quickly():
    from twindesk.jobs.subprocess_runner import run_in_subprocess

    geom = RootGeometry()
    params = synthetic_params(geom, "be-valve-s3like", 23.0, model="full")
    cancel = CancelToken()
    t0 = []

    def progress(f, m=""):
        if not t0:
            t0.append(time.monotonic())
            cancel.cancel()

    with pytest.raises(Cancelled):
        run_in_subprocess("twindesk.sim.tavr.deploy_job:run", params, progress, cancel)
    assert t0 and time.monotonic() - t0[0] < 8.0
