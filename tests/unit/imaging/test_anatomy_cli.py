"""The segment / edit / undo / redo commands on a synthetic case (JSON validated by schema)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.anatomy_synth import make_case, make_cta
from twindesk.imaging import labels
from twindesk.model.case import Case


@pytest.fixture(scope="module")
def synth_case(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "synth.twin"
    return make_case(path, make_cta().image)


def test_segment_edit_undo_redo_round_trip(synth_case, run_cli):
    r = run_cli("segment", synth_case, "--structure", "aorta", "--json")
    assert r.code == 0, r.err
    d = r.json
    assert d["structure"] == "aorta" and d["seed_source"].startswith("auto")
    assert 170.0 < d["volume_ml"] < 215.0  # truth: 192 ml
    (x0, y0, z0), (x1, y1, z1) = d["bbox_lps_mm"]
    assert z0 < -100.0 and z1 > 120.0 and y1 > 85.0  # over the arch, down to the bottom
    seed = d["seed_lps_mm"]
    assert np.hypot(seed[0], seed[1] - 80.0) < 3.0  # in the descending aorta

    # paint a 6 mm ball outside the aorta, then erase part of it; undo both; redo one
    r = run_cli("edit", synth_case, "--structure", "aorta", "--paint", "40,-40,40",
                "--radius-mm", "6", "--json")
    assert r.code == 0, r.err
    painted = r.json
    assert painted["changed_voxels"] * 1.5 ** 3 == pytest.approx(4 / 3 * np.pi * 216, rel=0.08)
    r = run_cli("edit", synth_case, "--structure", "aorta", "--erase", "40,-40,40",
                "--radius-mm", "3", "--json")
    assert r.code == 0 and r.json["voxels"] < painted["voxels"]
    assert r.json["undo_count"] == 3  # segment, paint, erase
    r = run_cli("undo", synth_case, "--json")
    assert r.code == 0 and r.json["label"].startswith("erase aorta")
    r = run_cli("undo", synth_case, "--json")
    assert r.json["label"].startswith("paint aorta") and r.json["redo_count"] == 2
    with Case.open(synth_case, write=False) as case:  # survives closing and reopening
        assert int(labels.load(case, "aorta").sum()) == d["voxels"]
    r = run_cli("redo", synth_case, "--json")
    assert r.code == 0 and r.json["label"].startswith("paint aorta")
    with Case.open(synth_case, write=False) as case:
        assert int(labels.load(case, "aorta").sum()) == painted["voxels"]

    # threshold in a box, keep largest (drops the painted ball), fill holes, smooth
    r = run_cli("edit", synth_case, "--structure", "aorta", "--keep-largest", "--json")
    assert r.code == 0 and r.json["voxels"] == d["voxels"]
    r = run_cli("edit", synth_case, "--structure", "aorta", "--threshold", "2000,3000",
                "--box=-20,-20,30;20,20,40", "--json")
    assert r.code == 0 and r.json["voxels"] < d["voxels"]  # no voxel that bright: a gap
    r = run_cli("edit", synth_case, "--structure", "aorta", "--smooth", "1.0", "--json")
    assert r.code == 0
    r = run_cli("edit", synth_case, "--structure", "aorta", "--fill-holes", "--json")
    assert r.code == 0


def test_bad_input_exits_2_with_a_message(synth_case, run_cli):
    r = run_cli("edit", synth_case, "--structure", "la", "--fill-holes")
    assert r.code == 2 and "no la mask" in r.err and "twindesk segment" in r.err
    r = run_cli("segment", synth_case, "--structure", "aorta", "--seed-lps", "1,2")
    assert r.code == 2 and "--seed-lps" in r.err
    r = run_cli("edit", synth_case, "--structure", "aorta", "--paint", "0,0,0")
    assert r.code == 2 and "--radius-mm" in r.err
    r = run_cli("undo", synth_case.parent / "missing.twin")
    assert r.code == 2
