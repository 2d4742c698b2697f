"""Scenarios: segments and lumen changes, scenario definitions, listing, comparison, CLI."""

from __future__ import annotations

import numpy as np
import pytest

from twindesk.errors import InputError
from twindesk.model.case import Case
from twindesk.sim.scenarios.segments import (Centreline, Narrowing, check_tets, morph_points,
                                             segment_ranges, taper)

from .conftest import BRANCH_Z_MM, LENGTH_MM, RADIUS_MM, tube_mesh


# ----------------------------------------------------------------------------- segments
@pytest.mark.parametrize("text, segment, percent", [
    ("ascending:30", "ascending", 30.0), ("ARCH:-20", "arch", -20.0),
    ("40-65:50", "40-65", 50.0), ("12.5-20:5.5", "12.5-20", 5.5)])
def test_narrowing_parses(text, segment, percent):
    n = Narrowing.parse(text)
    assert (n.segment, n.percent) == (segment, percent)
    assert n.diameter_factor == pytest.approx(1 - percent / 100)
    assert n.to_doc()["area_change_percent"] == pytest.approx(100 * ((1 - percent / 100) ** 2 - 1))


@pytest.mark.parametrize("text, fragment", [
    ("ascending", "expected SEGMENT:PERCENT"), ("aorta:20", "unknown segment 'aorta'"),
    ("arch:95", "outside the range"), ("arch:0", "outside the range"),
    ("arch:x", "expected SEGMENT:PERCENT"), ("arch:-150", "outside the range")])
def test_narrowing_rejects(text, fragment):
    with pytest.raises(InputError, match=fragment):
        Narrowing.parse(text)


def _centreline(reverse=False):
    s = np.linspace(0, LENGTH_MM, 31)
    pts = np.c_[np.zeros_like(s), np.zeros_like(s), s]
    cl = {"points_lps_mm": (pts[::-1] if reverse else pts).tolist(),
          "arc_length_mm": s.tolist(), "radius_mm": [RADIUS_MM] * len(s)}
    return Centreline.from_doc(cl, [0, 0, 0])


def test_centreline_is_oriented_from_the_root():
    a, b = _centreline(), _centreline(reverse=True)
    np.testing.assert_allclose(a.points_mm, b.points_mm)
    np.testing.assert_allclose(b.arc_mm, np.linspace(0, LENGTH_MM, 31))
    s, c, r = a.project(np.array([[3.0, 0.0, 17.2]]))
    assert s[0] == pytest.approx(17.2, abs=0.13) and r[0] == RADIUS_MM


def test_named_segments_from_branch_outlets():
    _, _, regions = tube_mesh()
    ranges = segment_ranges(_centreline(), regions)
    branch = next(r for r in regions if r["name"] == "branch")
    r_b = np.sqrt(branch["area_mm2"] / np.pi)
    assert ranges["arch"][0] == pytest.approx(BRANCH_Z_MM - r_b, abs=0.5)
    assert ranges["arch"][1] == pytest.approx(BRANCH_Z_MM + r_b, abs=0.5)
    assert ranges["ascending"] == (0.0, ranges["arch"][0])
    assert ranges["descending"] == (ranges["arch"][1], LENGTH_MM)
    # without arch branches, names cannot be located, arc ranges still work
    no_branch = [r for r in regions if r["name"] != "branch"]
    assert segment_ranges(_centreline(), no_branch) == {}


def test_taper_is_smooth_and_bounded():
    s = np.linspace(-5, 45, 501)
    f = taper(s, 0.0, 40.0, 10.0)
    assert f.min() == 0.0 and f.max() == 1.0
    assert np.all(f[(s >= 10) & (s <= 30)] == 1.0) and np.all(f[(s <= 0) | (s >= 40)] == 0.0)
    assert np.abs(np.diff(f)).max() < 0.02  # no jumps


def test_narrowing_scales_the_lumen_inside_the_segment_only():
    mesh, region, regions = tube_mesh(n_core=3, layer_mm=3.0)
    moved, applied = morph_points(mesh.points_mm, _centreline(), regions,
                                  [Narrowing.parse("5-55:30")])
    assert applied[0]["arc_mm"] == [5.0, 55.0] and applied[0]["taper_mm"] == RADIUS_MM
    r0 = np.hypot(*mesh.points_mm[:, :2].T)
    r1 = np.hypot(*moved[:, :2].T)
    z = mesh.points_mm[:, 2]
    mid = (z > 16) & (z < 44)
    np.testing.assert_allclose(r1[mid], 0.7 * r0[mid], atol=1e-9)  # full narrowing
    out = (z < 5) | (z > 55)
    np.testing.assert_allclose(moved[out], mesh.points_mm[out])  # untouched outside
    np.testing.assert_allclose(moved[:, 2], z)  # only radial motion
    check_tets(mesh.points_mm, moved, mesh.tets)


def test_enlargement_and_inverted_elements():
    mesh, _, regions = tube_mesh(n_core=2, layer_mm=5.0)
    moved, _ = morph_points(mesh.points_mm, _centreline(), regions,
                            [Narrowing.parse("10-50:-40")])
    z = mesh.points_mm[:, 2]
    sel = (z > 22) & (z < 38)
    assert np.hypot(*moved[sel, :2].T).max() == pytest.approx(1.4 * RADIUS_MM)
    bad = mesh.points_mm.copy()
    bad[mesh.tets[0, 0]] = mesh.points_mm[mesh.tets[0, 1]] * 2 - mesh.points_mm[mesh.tets[0, 0]]
    with pytest.raises(InputError, match="inside out"):
        check_tets(mesh.points_mm, bad, mesh.tets[:1])


# ----------------------------------------------------------------------------- definitions
def test_add_device_hr_co_and_narrowing(tube_case):
    from twindesk.model.devices import load_library
    from twindesk.sim.lumped.store import resolve_scenario
    from twindesk.sim.scenarios.define import (ScenarioSpec, add_scenario, device_of,
                                               geometry_changes, list_scenarios)

    size = load_library().family("be-valve-s3like").size(26.0)
    with Case.open(tube_case) as case:
        d = add_scenario(case, ScenarioSpec("tavr", device_id="be-valve-s3like", size_mm=26,
                                            hr_bpm=80))
        assert d["definition"]["overrides"] == {"aortic_eoa_cm2": size.eoa_cm2,
                                                "heart_rate_bpm": 80.0}
        assert d["device"]["eoa_sd_cm2"] == size.eoa_sd_cm2
        assert "J Am Soc Echocardiogr" in d["device"]["eoa_source"]
        c, _ = resolve_scenario(case.doc, "tavr")
        assert c.valve.eoa_m2 == pytest.approx(size.eoa_cm2 * 1e-4)
        assert c.heart.heart_rate_bpm == pytest.approx(80)
        d2 = add_scenario(case, ScenarioSpec("tavr-narrow", base="tavr", co_l_min=4.0,
                                             narrow=("10-50:25",)))
        assert d2["definition"]["targets"] == {"cardiac_output_l_min": 4.0}
        assert d2["geometry_changes"][0]["arc_mm"] == [10.0, 50.0]
        add_scenario(case, ScenarioSpec("wider", base="tavr-narrow", narrow=("15-45:-10",)))
        assert [g["percent"] for g in geometry_changes(case.doc, "wider")] == [25.0, -10.0]
        assert device_of(case.doc, "wider")["size_mm"] == 26.0  # inherited
        versions = case.doc["twin"]["versions"]
        assert [v["kind"] for v in versions] == ["scenario"] * 3
        names = [s["name"] for s in list_scenarios(case.doc)]
        assert names == ["baseline", "tavr", "tavr-narrow", "wider"]
        assert all(not any(s["results"].values()) for s in list_scenarios(case.doc))


@pytest.mark.parametrize("spec, fragment", [
    (dict(name="baseline", hr_bpm=70), "already exists"),
    (dict(name="x y", hr_bpm=70), "not usable"),
    (dict(name="a", base="nope", hr_bpm=70), "--from nope: unknown scenario"),
    (dict(name="a"), "would equal"),
    (dict(name="a", size_mm=26), "--size needs --device"),
    (dict(name="a", device_id="be-valve-s3like"), "--device needs --size"),
    (dict(name="a", device_id="be-valve-s3like", size_mm=27), "no 27 mm size"),
    (dict(name="a", device_id="laao-flxlike", size_mm=27), "not a transcatheter aortic valve"),
    (dict(name="a", device_id="nope", size_mm=27), "unknown device"),
    (dict(name="a", hr_bpm=400), "heart_rate_bpm"),
    (dict(name="a", co_l_min=40), "outside 0.5–20"),
])
def test_add_rejects_bad_input_and_keeps_the_case(tube_case, spec, fragment):
    from twindesk.sim.scenarios.define import ScenarioSpec, add_scenario

    with Case.open(tube_case) as case:
        before = dict(case.doc.get("physiology", {}).get("scenarios", {}))
        try:
            add_scenario(case, ScenarioSpec(**spec))
        except InputError as exc:
            assert __import__("re").search(fragment, exc.message), exc.message
        else:
            pytest.fail("no error")
        assert case.doc.get("physiology", {}).get("scenarios", {}) == before


def test_narrowing_needs_a_centreline(tmp_path):
    from twindesk.sim.scenarios.define import ScenarioSpec, add_scenario

    path = tmp_path / "c.twin"
    case = Case.create(path)
    case.save("create", {})
    case.close()
    with Case.open(path) as case, pytest.raises(InputError, match="centreline"):
        add_scenario(case, ScenarioSpec("n", narrow=("ascending:20",)))


# ----------------------------------------------------------------------------- compare
def test_compare_device_scenario_has_device_intervals(tube_case):
    from twindesk.sim.scenarios.compare import compare_scenarios
    from twindesk.sim.scenarios.define import ScenarioSpec, add_scenario

    with Case.open(tube_case) as case:
        add_scenario(case, ScenarioSpec("small", device_id="be-valve-s3like", size_mm=20))
        d = compare_scenarios(case, "baseline", "small")
    rows = {r["quantity"]: r for r in d["zero_d"]}
    g = rows["mean_gradient_mmhg"]
    # a 1.22 cm² valve against the default native 3 cm²: higher Doppler gradient
    assert g["b"]["value"] > 2 * g["a"]["value"]
    assert g["a"]["low"] is None  # nothing uncertain about the uncalibrated baseline
    assert g["b"]["low"] < g["b"]["value"] < g["b"]["high"]
    assert g["difference"]["value"] == pytest.approx(g["b"]["value"] - g["a"]["value"])
    assert g["difference"]["low"] < g["difference"]["value"] < g["difference"]["high"]
    assert rows["aortic_eoa_cm2"]["b"]["value"] == pytest.approx(1.22)
    # Doppler peak gradient is 4 v² of the peak velocity (simplified Bernoulli, ρ/2 v² exactly)
    v = rows["peak_velocity_m_s"]["b"]["value"]
    assert rows["peak_gradient_mmhg"]["b"]["value"] == pytest.approx(
        0.5 * 1060 * v ** 2 / 133.322387415, rel=1e-6)
    assert d["three_d"] is None and "no 3D pulsatile result" in d["three_d_missing"]
    assert any("device EOA spread" in s for s in d["uncertainty"]["sources"])


def test_compare_calibrated_case_pairs_samples(tube_case):
    from twindesk.sim.lumped.clinical import ClinicalData
    from twindesk.sim.lumped.jobs import calibrate_case
    from twindesk.sim.lumped.uq import UQSettings
    from twindesk.sim.scenarios.compare import compare_scenarios
    from twindesk.sim.scenarios.define import ScenarioSpec, add_scenario

    with Case.open(tube_case) as case:
        calibrate_case(case, ClinicalData(sbp_mmhg=140, dbp_mmhg=80, hr_bpm=70, co_l_min=5.0,
                                          mean_gradient_mmhg=30), UQSettings(n_samples=60))
        add_scenario(case, ScenarioSpec("fast", hr_bpm=90))
        d = compare_scenarios(case, "baseline", "fast")
    rows = {r["quantity"]: r for r in d["zero_d"]}
    m = rows["aortic_mean_mmhg"]
    for e in (m["a"], m["b"]):
        assert e["low"] < e["value"] < e["high"]
    # the calibration uncertainty is shared, so the difference is far tighter than each value
    width = lambda e: e["high"] - e["low"]  # noqa: E731
    assert width(m["difference"]) < 0.5 * min(width(m["a"]), width(m["b"]))
    assert d["uncertainty"]["n_samples"] == 60
    assert rows["heart_rate_bpm"]["b"]["value"] == pytest.approx(90)


# ----------------------------------------------------------------------------- CLI
def test_cli_add_list_compare_json(run_cli, tube_case):
    r = run_cli("scenario", "add", tube_case, "post", "--device", "se-valve-evolutlike",
                "--size", "29", "--co-l-min", "4.5", "--json", schema="scenario-add")
    assert r.code == 0, r.err
    assert r.json["definition"]["targets"]["cardiac_output_l_min"] == 4.5
    r = run_cli("scenario", "add", tube_case, "post2", "--from", "post", "--narrow",
                "ascending:20", "--hr", "75", "--json", schema="scenario-add")
    assert r.code == 0, r.err
    r = run_cli("scenario", "list", tube_case, "--json", schema="scenario-list")
    assert [s["name"] for s in r.json["scenarios"]] == ["baseline", "post", "post2"]
    assert r.json["scenarios"][2]["geometry_changes"][0]["segment"] == "ascending"
    r = run_cli("compare", tube_case, "baseline", "post", "--json")
    assert r.code == 0, r.err
    assert r.json["a"] == "baseline" and r.json["zero_d"]
    r = run_cli("compare", tube_case, "baseline", "post")
    assert "mean_gradient_mmhg" in r.out and "difference" in r.out


def test_cli_bad_input_exit_2(run_cli, tube_case):
    r = run_cli("scenario", "add", tube_case, "x", "--narrow", "nowhere:20")
    assert r.code == 2 and "unknown segment" in r.err and "Traceback" not in r.err
    r = run_cli("compare", tube_case, "baseline", "missing")
    assert r.code == 2 and "unknown scenario 'missing'" in r.err
    r = run_cli("scenario", "run", tube_case, "missing", "--3d")
    assert r.code == 2 and "unknown scenario" in r.err


def test_scenario_mesh_uses_a_stored_lumen_then_lineage_changes(tube_case):
    """A device scenario takes the deployed-frame lumen when the case holds it
    (``mesh:aorta@<scenario>``); lumen changes of scenarios derived from it apply on top."""
    from twindesk.io.flow_mesh import put_flow_mesh
    from twindesk.sim.pulsatile.case_job import scenario_mesh
    from twindesk.sim.scenarios.define import ScenarioSpec, add_scenario

    with Case.open(tube_case) as case:
        add_scenario(case, ScenarioSpec("post", device_id="be-valve-s3like", size_mm=23))
        mesh, _, applied, notes, keys = scenario_mesh(case, "post", "aorta")
        assert applied == [] and "not in this case" in notes[0]
        assert keys == ["mesh:aorta", "mesh_boundary:aorta"]
        m, region, regions = tube_mesh()
        lumen = m.points_mm.copy()
        lumen[:, :2] *= np.where(lumen[:, 2] < 15, 0.8, 1.0)[:, None]  # a frame in the root
        put_flow_mesh(case, "aorta@post", lumen, m.tets, m.boundary_tris, region, regions)
        add_scenario(case, ScenarioSpec("post-narrow", base="post", narrow=("35-55:20",)))
        mesh, base_regions, applied, notes, keys = scenario_mesh(case, "post-narrow", "aorta")
    assert notes == [] and keys[:2] == ["mesh:aorta@post", "mesh_boundary:aorta@post"]
    assert applied[0]["arc_mm"] == [35.0, 55.0]
    z = mesh.points_lps_mm[:, 2]
    r = np.hypot(*mesh.points_lps_mm[:, :2].T)
    assert r[z < 10].max() == pytest.approx(0.8 * RADIUS_MM)  # the stored lumen
    assert r[(z > 44) & (z < 46)].max() == pytest.approx(0.8 * RADIUS_MM)  # the narrowing
    outlet = next(g for g in mesh.regions if g["name"] == "descending_aorta")
    assert outlet["area_mm2"] == pytest.approx(next(
        g for g in base_regions if g["name"] == "descending_aorta")["area_mm2"])


def test_cli_scenario_run_3d(run_cli, tube_case):
    r = run_cli("scenario", "add", tube_case, "fast", "--hr", "90", "--json",
                schema="scenario-add")
    assert r.code == 0, r.err
    r = run_cli("scenario", "run", tube_case, "fast", "--3d", "--steps-per-cycle", "16",
                "--cycles", "1", "--min-cycles", "1", "--in-process", "--json",
                schema="scenario-run")
    assert r.code == 0, r.err
    d = r.json
    assert d["zero_d"]["haemodynamics"]["heart_rate_bpm"] == pytest.approx(90)
    t = d["three_d"]
    assert t["summary"]["cycles"]["completed"] == 1 and t["summary"]["cycles"]["changes"] == []
    assert t["summary"]["cycles"]["period_s"] == pytest.approx(60 / 90)
    assert any("not periodic after 1 cycles" in n for n in t["summary"]["notes"])
    with Case.open(tube_case, write=False) as case:
        kinds = [v["kind"] for v in case.doc["twin"]["versions"]]
        assert kinds == ["scenario", "simulation", "simulation"]  # add, 0D, 3D
    r = run_cli("scenario", "list", tube_case, "--json", schema="scenario-list")
    assert r.json["scenarios"][1]["results"] == {"0d": True, "3d_pulsatile": True}
    r = run_cli("compare", tube_case, "baseline", "fast", "--json")
    assert r.json["three_d"] is None and "baseline" in r.json["three_d_missing"]


def test_reading_a_partial_physiology_block_does_not_change_the_document():
    import copy

    from twindesk.sim.lumped.store import BASELINE, physiology, scenario_names
    from twindesk.sim.scenarios.define import list_scenarios

    doc = {"physiology": {"cardiac_output_l_min": 0.5}}
    before = copy.deepcopy(doc)
    phys = physiology(doc)
    assert phys["scenarios"] == {} and phys["results"] == {} and phys["calibrations"] == []
    assert phys["cardiac_output_l_min"] == 0.5
    assert scenario_names(doc) == [BASELINE]
    assert [s["name"] for s in list_scenarios(doc)] == [BASELINE]
    assert doc == before
    # A complete block is the document's own (writers may change it in place).
    full = {"physiology": physiology(doc)}
    assert physiology(full) is full["physiology"]
