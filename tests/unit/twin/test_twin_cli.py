"""twindesk twin add / timeline / log / diff / revert / predict / accuracy."""

from __future__ import annotations

import json

import pytest

from twindesk.model.case import Case


def test_add_vitals_stores_raw_file_and_observations(run_cli, twin_case, files):
    r = run_cli("twin", "add", twin_case, files["vitals"], "--json", schema="twin-add")
    assert r.code == 0, r.err
    d = r.json
    assert d["source"]["kind"] == "csv" and d["source"]["id"] == "src-1"
    assert len(d["observations"]) == 6 + 4
    assert d["latest_vitals"]["sbp_mmhg"] == {"value": 150.0, "unit": "mm[Hg]",
                                              "time_utc": "2024-03-08T08:30:00Z",
                                              "source": "src-1"}
    assert d["version"]["id"] == "v2" and d["version"]["parent"] == "v1"  # v1 = baseline
    assert "clinical" in d["version"]["changed"]
    with Case.open(twin_case, write=False) as case:
        raw = case.artifact_path("clinical:src-1").read_text()
        assert raw == files["vitals"].read_text()          # the raw file, byte for byte
        vitals = case.doc["clinical"]["vitals"]
        # the 0D calibration's reader takes the latest value of each vital
        assert [v["sbp_mmhg"] for v in vitals] == [142.0, 150.0]
        assert vitals[0]["height_cm"] == 172.0 and "height_cm" not in vitals[1]
        assert case.audit_entries()[-1]["action"] == "twin-add"


def test_same_file_twice_is_refused(run_cli, twin_case, files):
    assert run_cli("twin", "add", twin_case, files["vitals"]).code == 0
    r = run_cli("twin", "add", twin_case, files["vitals"])
    assert r.code == 2 and "already attached" in r.err and "src-1" in r.err


def test_wrong_unit_is_refused_and_nothing_is_written(run_cli, twin_case, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("time,quantity,value,unit\n2024-01-01,hr,70,mm[Hg]\n")
    before = (twin_case / "case.json").read_bytes()
    r = run_cli("twin", "add", twin_case, bad, "--json")
    assert r.code == 2 and "bad.csv, row 2, column 'unit'" in r.err and r.out == ""
    assert (twin_case / "case.json").read_bytes() == before


def test_vcf_flag_lowers_threshold_in_output(run_cli, twin_case, files):
    r = run_cli("twin", "add", twin_case, files["genome"], "--json", schema="twin-add")
    assert r.code == 0, r.err
    d = r.json
    assert d["source"]["kind"] == "vcf"
    assert [f["gene"] for f in d["genomic_flags"]] == ["FBN1"]
    assert d["thresholds"]["threshold_mm"] == 50
    assert "Marfan" in d["thresholds"]["reasons"][0]


def test_timeline_lists_everything_in_time_order(run_cli, twin_case, files):
    for f in ("vitals", "echo", "genome"):
        assert run_cli("twin", "add", twin_case, files[f]).code == 0
    r = run_cli("twin", "timeline", twin_case, "--json", schema="twin-timeline")
    assert r.code == 0, r.err
    ev = r.json["events"]
    times = [e["time_utc"] for e in ev]
    assert times == sorted(times)
    types = {e["type"] for e in ev}
    assert {"observation", "genomic-flag", "data-attached", "version"} <= types
    # the VCF's fileDate (2024-01-10) comes before the vitals of 2024-03-01
    assert ev[0]["type"] == "genomic-flag" and ev[0]["time_utc"] == "2024-01-10T00:00:00Z"
    assert ev[1]["type"] == "observation" and ev[1]["time_utc"] == "2024-03-01T08:30:00Z"
    only = run_cli("twin", "timeline", twin_case, "--type", "genomic-flag", "--json",
                   schema="twin-timeline").json["events"]
    assert [e["gene"] for e in only] == ["FBN1"]
    assert run_cli("twin", "timeline", twin_case, "--type", "nonsense").code == 2


def test_log_diff_revert(run_cli, twin_case, files):
    run_cli("twin", "add", twin_case, files["vitals"])
    run_cli("twin", "add", twin_case, files["echo"])
    log = run_cli("twin", "log", twin_case, "--json", schema="twin-log").json
    assert [v["id"] for v in log["versions"]] == ["v1", "v2", "v3"]
    assert [v["parent"] for v in log["versions"]] == [None, "v1", "v2"]
    assert log["head"] == "v3"

    d = run_cli("twin", "diff", twin_case, "v2", "v3", "--json", schema="twin-diff").json
    assert not d["identical"]
    paths = {c["path"]: c for c in d["changes"]}
    assert paths["clinical/observations"]["a_length"] == 10
    assert paths["clinical/observations"]["b_length"] == 12
    assert [a["name"] for a in d["artifacts"]] == ["clinical:src-2"]
    assert run_cli("twin", "diff", twin_case, "v2", "v2", "--json",
                   schema="twin-diff").json["identical"]

    r = run_cli("twin", "revert", twin_case, "v2", "--json", schema="twin-revert")
    assert r.code == 0, r.err
    assert r.json["version"]["id"] == "v4" and r.json["version"]["parent"] == "v3"
    with Case.open(twin_case, write=False) as case:
        assert len(case.doc["clinical"]["observations"]) == 10      # echo values gone again
        assert "clinical:src-2" not in case.doc["artifacts"]
        assert (twin_case / json.loads(json.dumps(case.read_json("twin:state:v3")))["artifacts"]
                ["clinical:src-2"]["path"]).is_file()                 # the file was kept
        assert case.doc["twin"]["head"] == "v4"
    # the reverted state equals v2's state exactly
    assert run_cli("twin", "diff", twin_case, "v2", "v4", "--json", schema="twin-diff").json["identical"]
    # and the echo file can be attached again after the revert
    assert run_cli("twin", "add", twin_case, files["echo"]).code == 0
    assert run_cli("twin", "revert", twin_case, "v99").code == 2


def test_predict_then_observe_then_accuracy(run_cli, twin_case, files, tmp_path):
    r = run_cli("twin", "predict", twin_case, "--quantity", "mean_gradient_mmhg", "--value", "8",
                "--low", "6", "--high", "11", "--source", "post-TAVR 0D scenario",
                "--valid-from", "2024-05-01", "--json", schema="twin-predict")
    assert r.code == 0, r.err
    p = r.json["predictions"][0]
    assert p["observed"] is None and p["valid_from_utc"] == "2024-05-01T00:00:00Z"
    run_cli("twin", "predict", twin_case, "--quantity", "peak_velocity_m_s", "--value", "250",
            "--low", "200", "--high", "300", "--unit", "cm/s", "--valid-from", "2024-05-01")
    a = run_cli("twin", "add", twin_case, files["echo"], "--json", schema="twin-add").json
    matched = {m["quantity"]: m["observed"] for m in a["predictions_matched"]}
    assert matched["mean_gradient_mmhg"]["error"] == pytest.approx(1.5)
    assert matched["mean_gradient_mmhg"]["inside_interval"] is True
    assert matched["peak_velocity_m_s"]["error"] == pytest.approx(2.1 - 2.5)
    assert matched["peak_velocity_m_s"]["inside_interval"] is True     # 2.1 in [2.0, 3.0] m/s
    acc = run_cli("twin", "accuracy", twin_case, "--json", schema="twin-accuracy").json
    assert acc["n_predictions"] == 2 and acc["n_observed"] == 2
    g = acc["by_quantity"]["mean_gradient_mmhg"]
    assert g["bias"] == pytest.approx(1.5) and g["coverage"] == 1.0
    assert g["mean_abs_relative_error"] == pytest.approx(1.5 / 8)


def test_cohort_accuracy_pools_twins(run_cli, twin_case, files, tmp_path):
    import shutil

    run_cli("twin", "predict", twin_case, "--quantity", "mean_gradient_mmhg", "--value", "8",
            "--low", "6", "--high", "11", "--valid-from", "2024-05-01")
    cohort = tmp_path / "cohort"
    cohort.mkdir()
    shutil.copytree(twin_case, cohort / "a.twin")
    run_cli("twin", "add", cohort / "a.twin", files["echo"])
    shutil.copytree(twin_case, cohort / "b.twin")
    echo_b = tmp_path / "echo_b.csv"
    echo_b.write_text("time,mean_gradient_mmhg\n2024-06-02,14\n")
    run_cli("twin", "add", cohort / "b.twin", echo_b)
    r = run_cli("twin", "accuracy", "--cohort", cohort, "--json", schema="twin-accuracy")
    assert r.code == 0, r.err
    d = r.json
    assert d["n_cases"] == 2 and d["n_observed"] == 2
    g = d["by_quantity"]["mean_gradient_mmhg"]
    assert g["bias"] == pytest.approx((1.5 + 6.0) / 2)
    assert g["rmse"] == pytest.approx(((1.5 ** 2 + 6.0 ** 2) / 2) ** 0.5)
    assert g["coverage"] == 0.5


def test_predict_refuses_a_value_outside_its_interval(run_cli, twin_case):
    r = run_cli("twin", "predict", twin_case, "--quantity", "mean_gradient_mmhg", "--value", "12",
                "--low", "6", "--high", "11")
    assert r.code == 2 and "does not contain the value" in r.err
