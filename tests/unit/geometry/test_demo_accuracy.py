"""Accuracy on the demo phantom against its ground truth (issue 7 tolerances)."""

import json

import numpy as np
import pytest


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from twindesk.phantom.demo import DemoParams, run

    return run(DemoParams(tmp_path_factory.mktemp("demo")))


def _pts(truth, keys, field):
    return ";".join(",".join(f"{v:.4f}" for v in field(truth, k)) for k in keys)


@pytest.mark.slow
def test_measure_auto_and_given_hinges(demo, run_cli):
    t = demo.truth
    hinges = _pts(t, ("right", "left", "non"),
                  lambda t, k: t["annulus"]["hinge_points_lps_mm"][k])
    ostia = _pts(t, ("left", "right"),
                 lambda t, k: t["coronary_ostia"][k]["lower_edge_lps_mm"])
    r = run_cli("measure", demo.case_path, "--json")
    assert r.code == 0, r.err
    a = r.json
    assert a["hinges_source"] == "auto"
    pd_true = t["annulus"]["perimeter_derived_diameter_mm"]
    assert abs(a["annulus"]["perimeter_derived_diameter_mm"]["value"] - pd_true) < 0.5
    assert abs(a["annulus"]["area_mm2"]["value"] / t["annulus"]["area_mm2"] - 1) < 0.03
    ang = np.degrees(np.arccos(np.dot(a["plane"]["normal_lps"], t["annulus"]["normal_lps"])))
    assert ang < 3.0
    assert abs(a["stj"]["diameter_mm"]["value"] - t["stj"]["diameter_mm"]) < 0.5
    r = run_cli("measure", demo.case_path, f"--hinges-lps={hinges}", f"--ostia-lps={ostia}",
                "--json")
    g = r.json
    assert g["hinges_source"] == "user"
    assert abs(g["annulus"]["perimeter_derived_diameter_mm"]["value"] - pd_true) < 0.3
    ang = np.degrees(np.arccos(np.dot(g["plane"]["normal_lps"], t["annulus"]["normal_lps"])))
    assert ang < 2.0
    for side in ("left", "right"):
        h = g["coronary_heights"][side]["height_mm"]["value"]
        assert abs(h - t["coronary_ostia"][side]["lower_edge_height_mm"]) < 0.5
    s = run_cli("size", demo.case_path, "--json")
    assert s.code == 0 and s.json["families"]
