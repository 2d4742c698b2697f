"""A real left-atrium surface end to end (GPL-3 data in ../shared/data: skipped when absent).

``left_atrium/atrium.vtp`` (LASC'13 case b003 via VaMPy) is open at the mitral valve and
four pulmonary veins; like every LASC'13 ground truth it holds only "a short part of the
LA appendage trunk" (Tobon-Gomez et al., IEEE TMI 2015;34:1460). What this test fixes:

* the four veins and the mitral opening are found open and the one blind protrusion is
  taken as the appendage;
* its ostium is a plausible orifice (max 20-40 mm, min 8-20 mm) and the analysis warns
  that the appendage is shallow (under 10 mm beyond the ostium plane);
* sizing and a fast-model deployment at 0 mm implant depth run and report numbers with
  intervals (the deployment is not expected to be a good one: the trunk is too shallow).
"""

from __future__ import annotations

import pytest

from tests.conftest import shared_data

pytestmark = pytest.mark.realdata


def test_real_atrium_surface_end_to_end(run_cli, tmp_path):
    vtp = shared_data("left_atrium", "atrium.vtp")
    case = tmp_path / "atrium.twin"
    r = run_cli("import-surface", vtp, case, "--structure", "la", "--json")
    assert r.code == 0, r.err
    assert r.json["source"]["open_boundaries"] == 5
    d = run_cli("laa", case, "--json").json
    opened = [p for p in d["protrusions"] if p["open"]]
    assert len(opened) >= 3 and len(d["protrusions"]) - len(opened) >= 1
    o = d["ostium"]
    assert 20.0 <= o["max_diameter_mm"]["value"] <= 40.0
    assert 8.0 <= o["min_diameter_mm"]["value"] <= 20.0
    assert d["depth_perpendicular_mm"]["value"] < 10.0
    assert any("reaches only" in w for w in d["warnings"])
    size = run_cli("size", case, "--laa", "--json")
    assert size.code == 0, size.err
    p = run_cli("place", case, "--laa", "--device", "laao-flxlike", "--size", "20",
                "--depth-mm", "0", "--model", "fast", "--no-uncertainty", "--json")
    assert p.code == 0, p.err
    assert 0.0 < p.json["compression_pct"]["value"] < 50.0
    assert p.json["convergence"]["converged"]
