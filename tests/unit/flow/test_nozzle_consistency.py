"""Reading a nozzle miss: admissible inflow intervals, their intersection, and the axial shift
that would put a station in its band (pure functions; no solve)."""

import numpy as np
import pytest

from twindesk.sim.flow.nozzle_check import (admissible_flow_interval,
                                            flow_interval_intersection, position_shift_mm)


def test_admissible_interval_of_a_rising_station():
    # u = 2 q: the band [3, 5] is reached for q in [1.5, 2.5] (both outside the solves: extrapolated)
    assert admissible_flow_interval(1.0, 2.0, 1.2, 2.4, 3.0, 5.0) == pytest.approx((1.5, 2.5))


def test_admissible_interval_of_a_falling_station_is_ordered():
    # u = 10 - q: band [7, 8] ↔ q in [2, 3]
    assert admissible_flow_interval(1.0, 9.0, 4.0, 6.0, 7.0, 8.0) == pytest.approx((2.0, 3.0))


def test_a_station_that_does_not_change_with_the_inflow():
    assert admissible_flow_interval(1.0, 0.5, 2.0, 0.5, 0.4, 0.6) == (None, None)
    assert admissible_flow_interval(1.0, 0.5, 2.0, 0.5, 0.6, 0.7) is None
    with pytest.raises(ValueError):
        admissible_flow_interval(1.0, 0.5, 1.0, 0.6, 0.4, 0.6)


def test_intersection_of_compatible_stations():
    out = flow_interval_intersection({-64.0: (0.90, 1.10), -20.0: (0.95, 1.20),
                                      0.0: (None, None)})
    assert out["interval"] == [0.95, 1.10]
    assert out["highest_lower_bound_z_mm"] == -20.0
    assert out["lowest_upper_bound_z_mm"] == -64.0
    assert out["conflicting_pairs_z_mm"] == []


def test_intersection_of_conflicting_stations_names_every_pair():
    out = flow_interval_intersection({-64.0: (0.911, 0.957), -42.0: (1.016, 1.026),
                                      -20.0: (0.971, 1.073), 0.0: (0.94, 1.008)})
    assert out["interval"] is None
    assert out["highest_lower_bound_z_mm"] == -42.0
    assert out["lowest_upper_bound_z_mm"] == -64.0
    assert out["conflicting_pairs_z_mm"] == [[-42.0, -64.0], [-42.0, 0.0], [-20.0, -64.0]]


def test_a_station_never_in_its_band_empties_the_intersection():
    out = flow_interval_intersection({-64.0: (0.9, 1.1), 8.0: None})
    assert out["interval"] is None
    assert out["stations_never_in_band_z_mm"] == [8.0]


def test_position_shift_on_a_linear_rise():
    z = np.linspace(-2, 2, 41)
    assert position_shift_mm(z, z, 0.0, 0.5, 1.0) == pytest.approx(0.5)
    assert position_shift_mm(z, z, 0.0, -1.0, -0.3) == pytest.approx(-0.3)
    assert position_shift_mm(z, z, 0.0, -0.1, 0.1) == 0.0
    assert position_shift_mm(z, z, 0.0, 5.0, 6.0) is None


def test_position_shift_takes_the_nearer_side_and_interpolates_between_samples():
    z = np.array([-2.0, -1.0, 0.0, 0.5, 2.0])
    u = np.array([4.0, 1.0, 0.0, 0.25, 4.0])  # dips at 0
    # band [0.2, 0.3]: on the right from z = 0.4 (u 0 → 0.25 over 0 … 0.5), on the left over
    # z = -0.3 … -0.2 (u 1 → 0 over -1 … 0)
    assert position_shift_mm(z, u, 0.0, 0.2, 0.3) == pytest.approx(-0.2)
    assert position_shift_mm(z, u, 0.15, 0.2, 0.3) == pytest.approx(0.25)
    assert position_shift_mm(z, u, 0.45, 0.2, 0.3) == 0.0


def test_verify_text_output_reads_each_miss_and_the_conflict():
    from twindesk.cli.verify_cmds import _human

    st = [{"z_mm": -64.0, "predicted_m_s": 0.0883, "measured_min_m_s": 0.0850,
           "measured_max_m_s": 0.0893, "within": True, "position_shift_mm": 0.0},
          {"z_mm": -42.0, "predicted_m_s": 0.3558, "measured_min_m_s": 0.3774,
           "measured_max_m_s": 0.3807, "within": False, "position_shift_mm": 0.448}]
    ic = {"flows_fraction_of_nominal": [0.949, 1.0],
          "stations": [{"z_mm": -64.0, "admissible_flow_fraction_of_nominal": [0.914, 0.960]},
                       {"z_mm": -42.0, "admissible_flow_fraction_of_nominal": [1.012, 1.022]}],
          "common_flow_fraction_of_nominal": None, "highest_lower_bound_z_mm": -42.0,
          "lowest_upper_bound_z_mm": -64.0, "stations_never_in_band_z_mm": [],
          "conflicting_pairs_z_mm": [[-42.0, -64.0]]}
    check = {"name": "fda_nozzle", "passed": False, "error": 0.02, "tolerance": 0.0,
             "metric": "m/s", "warnings": [], "seconds": 1.0,
             "details": {"stations": st, "inflow_consistency": ic}}
    text = _human({"checks": [check], "passed": False, "results_file": "verify.json"})
    assert ("(would read in band 0.45 mm downstream; would read in band at inflow "
            "1.012–1.022 × nominal)") in text
    assert ("inflow consistency (solves at 0.949 and 1.000 × nominal; bounds outside them are "
            "extrapolated): No single inflow puts every station in its band (1 conflicting "
            "station pair; e.g. z = -42 mm needs ≥ 1.012 × nominal, z = -64 mm allows ≤ "
            "0.960).") in text
    # without a second solve (no measured data for it) a miss reads by position only
    check["details"]["inflow_consistency"] = None
    st[1]["position_shift_mm"] = -0.001
    text = _human({"checks": [check], "passed": False, "results_file": "verify.json"})
    assert "OUT  (would read in band < 0.01 mm upstream)\n" in text
    assert "inflow consistency" not in text


def _nozzle_details(common):
    st = [{"z_mm": z, "judged": True, "within": w} for z, w in
          ((-64.0, True), (-42.0, False), (-20.0, False))]
    ic = {"stations": [{"z_mm": -64.0, "admissible_flow_fraction_of_nominal": [0.914, 0.960]},
                       {"z_mm": -42.0, "admissible_flow_fraction_of_nominal": [1.012, 1.022]},
                       {"z_mm": -20.0, "admissible_flow_fraction_of_nominal": [0.969, 1.07]}],
          "common_flow_fraction_of_nominal": common, "highest_lower_bound_z_mm": -42.0,
          "lowest_upper_bound_z_mm": -64.0,
          "conflicting_pairs_z_mm": [[-42.0, -64.0], [-20.0, -64.0]]}
    return {"reynolds_throat": 500, "inlet": {"source": "measured"}, "stations": st,
            "inflow_consistency": ic}


def test_the_report_says_why_the_nozzle_check_failed():
    """A stored nozzle result reaches the report's verification section as one sentence."""
    import json

    from twindesk.paths import user_data_dir
    from twindesk.report.build import verification_evidence
    from twindesk.report.content import Paragraph
    from twindesk.report.sections import Context, verification

    run = {"time_utc": "20261126T080000Z", "size": "full", "software": {"twindesk": "x"},
           "checks": [{"name": "fda_nozzle", "passed": False, "error": 0.0249,
                       "tolerance": 0.0, "metric": "m/s", "details": _nozzle_details(None)},
                      {"name": "poiseuille", "passed": True, "error": 0.004,
                       "tolerance": 0.01, "metric": "relative", "details": {}}]}
    folder = user_data_dir() / "verification" / run["time_utc"]
    folder.mkdir(parents=True)
    (folder / "verify.json").write_text(json.dumps(run), encoding="utf-8")
    ev = verification_evidence()
    found = {c["name"]: c["finding"] for c in ev["checks"]}
    assert found["poiseuille"] is None
    assert found["fda_nozzle"] == (
        "FDA nozzle (throat Re 500, measured inflow): 1 of 3 stations inside the measured "
        "min–max. No single inflow puts every station in its band (2 conflicting station "
        "pairs; e.g. z = -42 mm needs ≥ 1.012 × nominal, z = -64 mm allows ≤ 0.960).")
    paragraphs = [b.text for b in verification(None, Context(evidence=ev)).blocks
                  if isinstance(b, Paragraph)]
    assert found["fda_nozzle"] in paragraphs


def test_nozzle_finding_when_an_inflow_would_fit_and_for_an_old_result():
    from twindesk.sim.flow.nozzle_check import finding

    assert finding(_nozzle_details([0.97, 0.98])).endswith(
        "Every station would read in its band at an inflow of 0.970–0.980 × nominal.")
    old = _nozzle_details(None)
    del old["inflow_consistency"]
    assert finding(old) == ("FDA nozzle (throat Re 500, measured inflow): 1 of 3 stations "
                            "inside the measured min–max.")
    assert finding({"stations": []}) is None
    # a station in band at no inflow empties the intersection without a conflicting pair
    never = _nozzle_details(None)
    ic = never["inflow_consistency"]
    ic.update(conflicting_pairs_z_mm=[], stations_never_in_band_z_mm=[-42.0])
    assert finding(never).endswith("No single inflow puts every station in its band (in band "
                                   "at no inflow: z = -42 mm).")


def test_consistency_of_two_solves_is_schema_valid_json():
    """The block ``check_fda_nozzle`` stores, built from two made-up solves, passes the
    ``verify`` schema inside a whole ``--json`` document and survives strict JSON."""
    import json

    from twindesk.schemas import validate
    from twindesk.sim.flow.nozzle_check import _inflow_consistency

    judged = [{"z_mm": -64.0, "predicted_m_s": 0.0883, "measured_min_m_s": 0.0850,
               "measured_max_m_s": 0.0893, "within": True, "judged": True},
              {"z_mm": -42.0, "predicted_m_s": 0.3558, "measured_min_m_s": 0.3774,
               "measured_max_m_s": 0.3807, "within": False, "judged": True},
              {"z_mm": 60.0, "predicted_m_s": 0.5, "measured_min_m_s": 0.6,
               "measured_max_m_s": 0.7, "within": False, "judged": True}]
    q_nom = 5.2e-6
    # -64 and -42 rise with the flow; 60 mm does not change with it (never in band)
    ic = _inflow_consistency(judged, 0.949 * q_nom, q_nom, [0.0930, 0.3733, 0.5], q_nom)
    adm = {s["z_mm"]: s["admissible_flow_fraction_of_nominal"] for s in ic["stations"]}
    assert adm[-64.0][1] == pytest.approx(0.949 + 0.051 * (0.0893 - 0.0883) / (0.0930 - 0.0883))
    assert adm[-42.0][0] == pytest.approx(0.949 + 0.051 * (0.3774 - 0.3558) / (0.3733 - 0.3558))
    assert adm[60.0] is None
    assert ic["stations_never_in_band_z_mm"] == [60.0]
    assert ic["conflicting_pairs_z_mm"] == [[-42.0, -64.0]]
    assert ic["common_flow_fraction_of_nominal"] is None
    assert ic["n_within_at_second_flow"] == 0
    doc = {"passed": False, "size": "full", "software": {"twindesk": "x", "numpy": "x",
           "scipy": "x", "scikit-fem": "x", "pyamg": "x"}, "time_utc": "t", "seconds": 1.0,
           "results_file": "verify.json",
           "checks": [{"name": "fda_nozzle", "passed": False, "error": 0.02, "tolerance": 0.0,
                       "metric": "m/s", "warnings": [], "seconds": 1.0,
                       "details": {"stations": [{**r, "measured_mean_m_s": 0.0,
                                                 "position_shift_mm": None} for r in judged],
                                   "inflow_consistency": ic}}]}
    validate("verify", json.loads(json.dumps(doc, allow_nan=False)))
    doc["checks"][0]["details"]["inflow_consistency"]["stations"][0]["predicted_m_s"] = [0.1]
    import jsonschema

    with pytest.raises(jsonschema.ValidationError, match="too short"):
        validate("verify", doc)
