"""``twindesk calibrate`` and ``twindesk simulate0d`` end to end on a minimal case."""

from __future__ import annotations

import numpy as np
import pytest

from twindesk.model.case import Case

VITALS = ["--sbp", "150", "--dbp", "80", "--hr", "72", "--co-l-min", "4.5",
          "--mean-gradient-mmhg", "42", "--height-cm", "170", "--weight-kg", "75"]


@pytest.fixture
def case_path(tmp_path):
    path = tmp_path / "p.twin"
    case = Case.create(path)
    case.save("create", {})
    case.close()
    return path


def test_calibrate_json_reproduces_targets_with_intervals(run_cli, case_path):
    r = run_cli("calibrate", case_path, *VITALS, "--samples", "60", "--json")
    assert r.code == 0, r.err
    d = r.json
    assert d["calibration_id"] == "cal-1"
    assert d["targets"]["central_mean_mmhg"] == pytest.approx(80 + 0.4 * 70)
    for row in d["reproduced"].values():
        assert abs(row["error_pct"]) < 0.1
    eoa = d["parameters"]["aortic_eoa_cm2"]
    assert eoa["identifiable"] and eoa["low"] < eoa["value"] < eoa["high"] and eoa["unit"] == "cm²"
    assert d["parameters"]["lv_emax_mmhg_per_ml"]["identifiable"] is False
    assert d["parameters"]["rp_mmhg_s_per_ml"]["source"] == "rule"
    assert d["bsa_m2"] == pytest.approx((170 * 75 / 3600) ** 0.5)
    idx = d["parameters"]["aortic_eoa_index_cm2_per_m2"]["value"]
    assert idx == pytest.approx(eoa["value"] / d["bsa_m2"])
    # central systolic pressure is predicted below the brachial cuff value (amplification)
    assert d["predictions"]["aortic_systolic_mmhg"]["value"] < 150
    for p in d["predictions"].values():
        assert p["low"] <= p["value"] <= p["high"]
    with Case.open(case_path, write=False) as case:
        phys = case.doc["physiology"]
        assert phys["scenarios"]["baseline"]["calibration_id"] == "cal-1"
        assert case.read_json(d["artifacts"]["samples"])["aortic_eoa_cm2"]
        assert case.audit_entries()[-1]["action"] == "calibrate"


def test_recalibration_keeps_previous(run_cli, case_path):
    assert run_cli("calibrate", case_path, *VITALS, "--samples", "20", "--json").code == 0
    r = run_cli("calibrate", case_path, "--sbp", "130", "--dbp", "75", "--hr", "65",
                "--co-l-min", "5.0", "--samples", "20", "--json")
    assert r.code == 0, r.err
    d = r.json
    assert d["calibration_id"] == "cal-2"
    eoa = d["parameters"]["aortic_eoa_cm2"]
    assert eoa["identifiable"] is False and "--mean-gradient-mmhg" in eoa["reason"]
    assert eoa["source"] == "previous calibration cal-1" and eoa["low"] is None
    with Case.open(case_path, write=False) as case:
        cals = case.doc["physiology"]["calibrations"]
        assert [c["id"] for c in cals] == ["cal-1", "cal-2"]
        # the EOA fitted in cal-1 is kept, not replaced by a default
        assert cals[1]["parameters"]["aortic_eoa_cm2"] == cals[0]["parameters"]["aortic_eoa_cm2"]


def test_non_identifiable_request_reported(run_cli, case_path):
    r = run_cli("calibrate", case_path, "--sbp", "140", "--dbp", "80", "--hr", "70",
                "--samples", "20", "--json")
    assert r.code == 0, r.err
    params = r.json["parameters"]
    for key in ("total_resistance_mmhg_s_per_ml", "c_ml_per_mmhg", "aortic_eoa_cm2",
                "stressed_volume_ml"):
        assert params[key]["identifiable"] is False and "--co-l-min" in params[key]["reason"]
    assert params["aortic_eoa_index_cm2_per_m2"]["value"] is None


def test_calibrate_uses_attached_vitals_or_names_missing_flags(run_cli, case_path):
    r = run_cli("calibrate", case_path, "--json")
    assert r.code == 2
    for flag in ("--sbp", "--dbp", "--hr", "--co-l-min", "--mean-gradient-mmhg"):
        assert flag in r.err
    with Case.open(case_path) as case:
        case.doc["clinical"] = {"vitals": [
            {"time_utc": "2026-05-01T08:00:00Z", "sbp_mmhg": 138, "dbp_mmhg": 78, "hr_bpm": 68,
             "co_l_min": 4.8, "mean_gradient_mmhg": 35}]}
        case.save("attach", {})
    r = run_cli("calibrate", case_path, "--samples", "20", "--json")
    assert r.code == 0, r.err
    assert "vitals attached to the twin" in r.json["targets"]["source"]
    assert r.json["reproduced"]["mean_gradient"]["target"] == 35


@pytest.mark.parametrize("argv, fragment", [
    (["--sbp", "70", "--dbp", "90"], "must be above --dbp"),
    (["--co-l-min", "4500"], "--co-l-min 4500 is outside"),
    (["--hr", "70", "--samples", "3"], "--samples 3 is outside"),
])
def test_calibrate_bad_input_exit_2(run_cli, case_path, argv, fragment):
    r = run_cli("calibrate", case_path, *argv)
    assert r.code == 2 and fragment in r.err and "Traceback" not in r.err


def test_simulate0d_stores_waveforms_and_plot(run_cli, case_path):
    assert run_cli("calibrate", case_path, *VITALS, "--samples", "20", "--json").code == 0
    r = run_cli("simulate0d", case_path, "--json")
    assert r.code == 0, r.err
    d = r.json
    h = d["haemodynamics"]
    assert d["scenario"] == "baseline" and d["parameters_source"] == "calibration cal-1"
    assert h["cardiac_output_l_min"] == pytest.approx(4.5, rel=1e-3)
    assert h["mean_gradient_mmhg"] == pytest.approx(42, rel=1e-3)
    assert h["aortic_mean_mmhg"] == pytest.approx(108, rel=1e-3)
    assert d["periodicity"]["periodic"] and d["periodicity"]["cycle_to_cycle_change"] < 1e-3
    with Case.open(case_path, write=False) as case:
        csv = case.artifact_path(d["artifacts"]["waveforms"])
        table = np.genfromtxt(csv, delimiter=",", names=True)
        assert table.size == 1000 and "p_lv_mmhg" in table.dtype.names
        assert table["p_lv_mmhg"].max() == pytest.approx(h["lv_systolic_mmhg"], rel=1e-4)
        png = case.artifact_path(d["artifacts"]["plot"]).read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert case.doc["physiology"]["results"]["baseline"]["haemodynamics"]["stroke_volume_ml"] \
            == pytest.approx(h["stroke_volume_ml"])
        assert case.audit_entries()[-1]["action"] == "simulate0d"
    human = run_cli("simulate0d", case_path)
    assert human.code == 0 and "Valve     EOA" in human.out


def test_simulate0d_scenarios(run_cli, case_path):
    # An uncalibrated case runs the population defaults and says so.
    r = run_cli("simulate0d", case_path, "--json")
    assert r.code == 0 and "population defaults" in r.json["parameters_source"]
    with Case.open(case_path) as case:
        case.doc.setdefault("physiology", {}).setdefault("scenarios", {})
        case.doc["physiology"]["scenarios"]["post-tavr"] = {
            "from": "baseline", "overrides": {"aortic_eoa_cm2": 1.8},
            "targets": {"cardiac_output_l_min": 5.5}}
        case.save("scenario", {})
    r = run_cli("simulate0d", case_path, "--scenario", "post-tavr", "--json")
    assert r.code == 0, r.err
    h = r.json["haemodynamics"]
    assert h["aortic_eoa_cm2"] == pytest.approx(1.8)
    assert h["cardiac_output_l_min"] == pytest.approx(5.5, rel=1e-3)
    r = run_cli("simulate0d", case_path, "--scenario", "nope")
    assert r.code == 2 and "unknown scenario 'nope'" in r.err
    assert "baseline, post-tavr" in r.err


def test_calibrated_outlet_bcs_for_3d(run_cli, case_path):
    from twindesk.sim.lumped import calibrated_windkessel, outlet_rcr
    from twindesk.sim.lumped.units import PA_S_PER_M3_PER_MMHG_S_PER_ML

    assert run_cli("calibrate", case_path, *VITALS, "--samples", "20", "--json").code == 0
    with Case.open(case_path, write=False) as case:
        total = calibrated_windkessel(case.doc)
        fitted = case.doc["physiology"]["calibrations"][-1]["fitted"]
    r_total = fitted["total_resistance_mmhg_s_per_ml"]["value"] * PA_S_PER_M3_PER_MMHG_S_PER_ML
    assert total.total_resistance_pa_s_per_m3 == pytest.approx(r_total)
    assert total.pd_pa > 0  # the calibrated venous pressure, not zero
    outlets = outlet_rcr(total, [3.8e-4, 1.1e-4, 0.5e-4, 0.6e-4])
    assert sum(1 / o.total_resistance_pa_s_per_m3 for o in outlets) == pytest.approx(
        1 / r_total)


def test_outlet_bcs_from_mesh_regions(run_cli, case_path):
    from twindesk.sim.lumped.store import outlet_bcs

    assert run_cli("calibrate", case_path, *VITALS, "--samples", "20", "--json").code == 0
    regions = [{"id": 0, "name": "wall", "kind": "wall", "area_mm2": 9000.0},
               {"id": 1, "name": "inlet", "kind": "inlet", "area_mm2": 500.0},
               {"id": 2, "name": "descending", "kind": "outlet", "area_mm2": 380.0},
               {"id": 3, "name": "brachiocephalic", "kind": "outlet", "area_mm2": 110.0}]
    with Case.open(case_path, write=False) as case:
        bcs = outlet_bcs(case.doc, regions)
    assert [b["region_id"] for b in bcs] == [2, 3]
    assert bcs[0]["flow_fraction"] == pytest.approx(380 ** 1.5 / (380 ** 1.5 + 110 ** 1.5))
    assert bcs[0]["rd_pa_s_per_m3"] < bcs[1]["rd_pa_s_per_m3"]  # the larger outlet drains more
