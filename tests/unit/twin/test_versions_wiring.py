"""Import, calibrate and simulate0d record twin versions; revert restores an earlier state."""

from __future__ import annotations

import numpy as np

from twindesk.model.case import Case


def test_import_calibrate_simulate_are_versions(run_cli, tmp_path):
    import SimpleITK as sitk

    img = sitk.GetImageFromArray(np.zeros((6, 7, 8), np.int16))
    src = tmp_path / "ct.mha"
    sitk.WriteImage(img, str(src))
    case_path = tmp_path / "v.twin"
    from twindesk.model.ingest import import_source

    import_source(src, case_path).close()
    assert run_cli("calibrate", case_path, "--sbp", "140", "--dbp", "80", "--hr", "70",
                   "--co-l-min", "5", "--samples", "20").code == 0
    assert run_cli("simulate0d", case_path).code == 0
    log = run_cli("twin", "log", case_path, "--json", schema="twin-log").json
    assert [(v["id"], v["kind"], v["parent"]) for v in log["versions"]] == [
        ("v1", "import", None), ("v2", "calibration", "v1"), ("v3", "simulation", "v2")]
    assert "physiology" in log["versions"][1]["changed"]
    assert any(c.startswith("artifacts/result:0d-waveforms") for c in log["versions"][2]["changed"])
    r = run_cli("twin", "revert", case_path, "v1", "--json", schema="twin-revert")
    assert r.code == 0, r.err
    with Case.open(case_path, write=False) as case:
        assert "physiology" not in case.doc                  # back to the imported state
        assert case.artifact("volume") is not None
        assert [v["kind"] for v in case.doc["twin"]["versions"]][-1] == "revert"
    # the simulation result stays reachable from v3's snapshot
    with Case.open(case_path, write=False) as case:
        snap = case.read_json("twin:state:v3")
        assert (case_path / snap["artifacts"]["result:0d-waveforms:baseline"]["path"]).is_file()
