"""The ``place`` plan step: the size the sizing picks, deployed with the fast model at the
measured annulus, equal to a direct mechanics call on the same scaled anatomy; a twin
whose annulus fits no size fails alone with the reason."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from tests.cohort.cohort_factory import A_MM, B_MM, CENTER, make_source_case, root_result
from twindesk.errors import InputError

DEVICE = "be-valve-s3like"
PLAN = f'[[steps]]\nrun = "size"\n\n[[steps]]\nrun = "place"\ndevice = "{DEVICE}"\n'


def test_place_step_sizes_places_and_fails_per_twin(run_cli, tmp_path):
    src = make_source_case(tmp_path / "src.twin")
    out = tmp_path / "cohort"
    # seed 0 samples annulus scales 0.728 and 0.956: the first annulus (area 238 mm²) is
    # below the smallest size (273 mm²), the second (410 mm²) fits the 23 mm size
    r = run_cli("cohort", "make", "--from", src, "--n", "2", "--vary",
                "annulus_scale=0.72..1.0", "--seed", "0", out, "--json")
    assert r.code == 0, r.err
    small, fitting = r.json["twins"]
    assert small["values"]["annulus_scale"] < 0.77 < 0.87 < fitting["values"]["annulus_scale"]
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN)
    r = run_cli("cohort", "run", out, "--plan", plan, "--workers", "0", "--json")
    assert r.code == 0, r.err
    assert (r.json["finished"], r.json["failed"]) == (1, 1)
    (fail,) = r.json["failures"]
    assert fail["twin"] == small["twin"] and fail["step"] == "place"
    assert "fits no size" in fail["error"] and "size_mm" in fail["hint"]

    with open(out / "results" / "table.csv", newline="") as f:
        row = next(x for x in csv.DictReader(f) if x["twin"] == fitting["twin"])
    s = fitting["values"]["annulus_scale"]
    area = s * s * np.pi * A_MM * B_MM
    assert 338.0 <= area <= 430.0                      # the 23 mm size's area range
    assert float(row["place.size_mm"]) == float(row[f"size.{DEVICE}.size_mm"]) == 23.0
    assert float(row["place.oversizing_perimeter_pct"]) == pytest.approx(
        float(row[f"size.{DEVICE}.oversizing_perimeter_pct"]))
    assert float(row["place.converged"]) == 1.0
    # the family's default depth (4 mm), measured on the non-coronary side
    assert float(row["place.implant_depth_mm"]) == pytest.approx(4.0, abs=0.05)
    # the frame at the annulus: pressed in by the wall (below 23 mm nominal), holding the
    # scaled annulus open (its mean diameter s*24 mm, less the strut thickness)
    mean = float(row["place.levels.annulus.mean_mm"])
    assert s * (A_MM + B_MM) - 0.6 < mean < 23.0

    # the same deployment through the mechanics API, built independently of the step
    from twindesk.model.devices import load_library
    from twindesk.sim.mechanics.api import place, report, scalar_metrics
    from twindesk.sim.mechanics.library import device_from_library
    from twindesk.sim.mechanics.params import Placement
    from twindesk.sim.mechanics.surface import TriangleSurface
    import pyvista as pv

    with open(src / "case.json") as f:
        rec = json.load(f)["artifacts"]["surface:aorta"]
    source = pv.read(str(src / rec["path"]))
    pts = CENTER + s * (np.asarray(source.points) - CENTER)
    faces = np.asarray(source.faces).reshape(-1, 4)[:, 1:]
    non = np.array(root_result()["hinges_lps_mm"]["non"]) - CENTER
    pl = Placement(tuple(CENTER), (0.0, 0.0, 1.0), depth_mm=4.0,
                   commissure_direction_lps=tuple(-non), noncoronary_direction_lps=tuple(non))
    lib = load_library()
    ref = scalar_metrics(report(place(device_from_library(lib, DEVICE, 23.0),
                                      TriangleSurface(pts, faces), pl, model="fast")))
    for key in ("levels.annulus.mean_mm", "levels.inflow.max_mm", "implant_depth_mm",
                "contact_pressure.max_kpa"):
        assert float(row[f"place.{key}"]) == pytest.approx(ref[key], rel=1e-4, abs=1e-3), key


@pytest.mark.parametrize("step, words", [
    ('device = "be-valve-s3like"\nmodel = "medium"', "model"),
    ('size_mm = 26', "no device"),
    ('device = "be-valve-s3like"\ndepth = 4', "unknown key"),
    ('device = "be-valve-s3like"\ndepth_mm = "deep"', "depth_mm")])
def test_bad_place_steps_are_refused_when_the_plan_is_read(tmp_path, step, words):
    from twindesk.twin.cohort.plan import read_plan

    plan = tmp_path / "plan.toml"
    plan.write_text(f'[[steps]]\nrun = "place"\n{step}\n')
    with pytest.raises(InputError, match=words):
        read_plan(plan)
