"""Attached vitals drive the 0D calibration; recalibration keeps old and new parameters."""

from __future__ import annotations

import pytest

from twindesk.model.case import Case

NEW_VITALS = """time_utc,sbp_mmhg,dbp_mmhg,hr_bpm,co_l_min
2024-09-01T08:00:00Z,128,70,64,5.4
"""


def test_calibrate_without_numbers_uses_latest_attached_vitals(run_cli, twin_case, files):
    assert run_cli("twin", "add", twin_case, files["vitals"]).code == 0
    r = run_cli("calibrate", twin_case, "--samples", "20", "--json")
    assert r.code == 0, r.err
    t = r.json["targets"]
    assert t["source"] == "vitals attached to the twin (latest 2024-03-08T08:30:00Z)"
    # the latest value of each vital: SBP/DBP/HR/CO from 03-08, height/weight from 03-01
    assert t["measured"] == {"sbp_mmhg": 150.0, "dbp_mmhg": 82.0, "hr_bpm": 72.0,
                             "co_l_min": 5.1, "height_cm": 172.0, "weight_kg": 81.0}
    assert t["central_mean_mmhg"] == pytest.approx(82 + 0.4 * (150 - 82))
    for row in r.json["reproduced"].values():
        assert abs(row["error_pct"]) < 0.1


def test_recalibration_is_a_version_keeping_old_and_new(run_cli, twin_case, files, tmp_path):
    assert run_cli("twin", "add", twin_case, files["vitals"]).code == 0
    first = run_cli("twin", "recalibrate", twin_case, "--samples", "20", "--json",
                    schema="twin-recalibrate")
    assert first.code == 0, first.err
    assert first.json["calibration_id"] == "cal-1"
    assert first.json["previous_calibration_id"] is None
    new = tmp_path / "sept.csv"
    new.write_text(NEW_VITALS)
    r = run_cli("twin", "add", twin_case, new, "--recalibrate", "--samples", "20", "--json",
                schema="twin-add")
    assert r.code == 0, r.err
    rc = r.json["recalibration"]
    assert rc["calibration_id"] == "cal-2" and rc["previous_calibration_id"] == "cal-1"
    assert rc["targets"]["measured"]["sbp_mmhg"] == 128.0
    rows = {p["parameter"]: p for p in rc["parameters"]}
    res = rows["total_resistance_mmhg_s_per_ml"]
    # R = mean pressure / flow: (70 + 0.4·58) / 5.4 vs (82 + 0.4·68) / 5.1 (venous offset aside)
    assert res["new"] < res["old"] and res["change_pct"] == pytest.approx(
        100 * (res["new"] - res["old"]) / res["old"])
    assert rc["version"]["kind"] == "calibration" and "physiology" in rc["version"]["changed"]
    with Case.open(twin_case, write=False) as case:
        cals = case.doc["physiology"]["calibrations"]
        assert [c["id"] for c in cals] == ["cal-1", "cal-2"]       # old parameters kept
        kinds = [v["kind"] for v in case.doc["twin"]["versions"]]
    assert kinds == ["baseline", "clinical-data", "calibration", "clinical-data", "calibration"]
    d = run_cli("twin", "diff", twin_case, "v3", "v5", "--json", schema="twin-diff").json
    assert any(c["path"].startswith("physiology/scenarios/baseline") for c in d["changes"])


def test_recalibrate_without_vitals_says_what_to_do(run_cli, twin_case):
    r = run_cli("twin", "recalibrate", twin_case)
    assert r.code == 2 and "twin add" in r.err
