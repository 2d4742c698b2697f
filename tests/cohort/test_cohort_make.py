"""``cohort make``: reproducible sampling, exact geometric scaling, twins carry no identifiers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.cohort.cohort_factory import CENTER, make_source_case, root_result
from twindesk.errors import InputError
from twindesk.twin.cohort.scaling import Scaling
from twindesk.twin.cohort.variables import Vary, latin_hypercube, parse_vary


@pytest.fixture
def source(tmp_path):
    return make_source_case(tmp_path / "src.twin")


def test_latin_hypercube_uses_every_stratum_once_and_is_reproducible():
    varies = [Vary("annulus_scale", 0.9, 1.1), Vary("co_l_min", 4.0, 6.0)]
    a = latin_hypercube(varies, 10, seed=7)
    assert a == latin_hypercube(varies, 10, seed=7)
    assert a != latin_hypercube(varies, 10, seed=8)
    for v in varies:
        strata = sorted(int((s[v.name] - v.low) / (v.high - v.low) * 10) for s in a)
        assert strata == list(range(10))


def test_vary_parsing_names_the_problem():
    assert parse_vary("co_l_min=4..6") == Vary("co_l_min", 4.0, 6.0)
    for bad, match in (("co_l_min=6..4", "LOW ≤ HIGH"), ("size=1..2", "unknown variable"),
                       ("co_l_min:4-6", "NAME=LOW..HIGH"), ("annulus_scale=0.1..1", "scale")):
        with pytest.raises(InputError, match=match):
            parse_vary(bad)


def test_scaling_rules_follow_the_unit_in_the_key():
    s = Scaling(CENTER, 1.1)
    res = s.json(root_result())
    ref = root_result()
    ann, ann0 = res["annulus"], ref["annulus"]
    assert ann["perimeter_mm"]["value"] == pytest.approx(1.1 * ann0["perimeter_mm"]["value"])
    assert ann["perimeter_mm"]["low"] == pytest.approx(1.1 * ann0["perimeter_mm"]["low"])
    assert ann["area_mm2"]["value"] == pytest.approx(1.21 * ann0["area_mm2"]["value"])
    assert ann["eccentricity"] == ann0["eccentricity"]          # a ratio
    assert ann["perimeter_mm"]["unit"] == "mm"
    assert res["plane"]["normal_lps"] == ref["plane"]["normal_lps"]  # a direction
    assert res["levels"] == ref["levels"]                              # HU
    np.testing.assert_allclose(res["plane"]["center_lps_mm"], CENTER)  # the fixed point
    right0 = np.array(ref["hinges_lps_mm"]["right"])
    np.testing.assert_allclose(res["hinges_lps_mm"]["right"], CENTER + 1.1 * (right0 - CENTER))


def test_make_builds_scaled_twins_with_recorded_values(run_cli, source, tmp_path):
    out = tmp_path / "cohort"
    r = run_cli("cohort", "make", "--from", source, "--n", "3", "--vary",
                "annulus_scale=0.9..1.1", "--vary", "co_l_min=4..6", "--vary",
                "c_ml_per_mmhg=0.8..1.6", "--seed", "5", out, "--json")
    assert r.code == 0, r.err
    d = r.json
    assert d["n"] == 3 and len(d["twins"]) == 3 and not d["deidentified"]
    manifest = json.loads((out / "cohort.json").read_text())
    assert manifest["twins"] == d["twins"]
    from twindesk.model.case import Case

    for t in d["twins"]:
        s = t["values"]["annulus_scale"]
        with Case.open(out / t["path"], write=False) as twin:
            doc = twin.doc
            assert doc["patient"] == {"name": f"TWIN^{t['twin'][-4:]}",
                                      "id": f"{d['cohort_id']}-{t['twin'][-4:]}"}
            assert doc["cohort"]["values"] == t["values"]
            root = twin.read_json("result:measure:root")
            assert root["annulus"]["perimeter_mm"]["value"] == pytest.approx(
                s * root_result()["annulus"]["perimeter_mm"]["value"], rel=1e-12)
            import pyvista as pv

            surf = pv.read(str(twin.artifact_path("surface:aorta")))
            src_area = _source_surface_area(source)
            assert surf.area == pytest.approx(s * s * src_area, rel=1e-6)
            assert twin.artifact("surface:aorta")["meta"]["area_mm2"] == pytest.approx(
                s * s * src_area, rel=1e-9)
            line = twin.read_json("centerline:aorta")
            assert line["arc_length_mm"][1] == pytest.approx(60.0 * s)
            assert line["tangent_lps"] == [[0, 0, 1], [0, 0, 1]]
            base = doc["physiology"]["scenarios"]["baseline"]
            assert base["parameters"]["aorta_area_cm2"] == pytest.approx(6.0 * s * s)
            assert base["parameters"]["c_ml_per_mmhg"] == t["values"]["c_ml_per_mmhg"]
            assert base["targets"] == {"cardiac_output_l_min": t["values"]["co_l_min"]}
    # the same seed makes the same cohort; a second make into the same folder is refused
    again = run_cli("cohort", "make", "--from", source, "--n", "3", "--vary",
                    "annulus_scale=0.9..1.1", "--vary", "co_l_min=4..6", "--vary",
                    "c_ml_per_mmhg=0.8..1.6", "--seed", "5", tmp_path / "again", "--json")
    assert [t["values"] for t in again.json["twins"]] == [t["values"] for t in d["twins"]]
    assert again.json["cohort_id"] == d["cohort_id"]
    refused = run_cli("cohort", "make", "--from", source, "--n", "1", out)
    assert refused.code == 2 and "already holds a cohort" in refused.err


def _source_surface_area(source) -> float:
    import pyvista as pv

    from twindesk.model.case import Case

    with Case.open(source, write=False) as case:
        return float(pv.read(str(case.artifact_path("surface:aorta"))).area)


def test_scale_without_root_measurement_is_refused(run_cli, tmp_path):
    from twindesk.model.case import Case

    with Case.create(tmp_path / "bare.twin") as case:
        case.save("test")
    r = run_cli("cohort", "make", "--from", tmp_path / "bare.twin", "--n", "2", "--vary",
                "annulus_scale=0.9..1.1", tmp_path / "c")
    assert r.code == 2 and "twindesk measure" in r.err
    assert not (tmp_path / "c" / "twins").exists()  # no half-made cohort
