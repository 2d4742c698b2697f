"""``twindesk place`` end to end: bad input, and the demo phantom (its truth label map as the
segmentation, the root measured from its true hinge points, ostia and septum point)."""

from __future__ import annotations

import numpy as np
import pytest

from twindesk.model.case import Case


def test_bad_input_exits_2_with_a_hint(run_cli, tmp_path):
    case = tmp_path / "empty.twin"
    with Case.create(case) as c:
        c.save("test case without images")
    r = run_cli("place", case, "--device", "no-such", "--size", "26", "--json")
    assert r.code == 2 and "unknown device" in r.err and "be-valve-s3like" in r.err
    r = run_cli("place", case, "--device", "laao-flxlike", "--size", "27")
    assert r.code == 2 and "laao" in r.err
    r = run_cli("place", case, "--device", "be-valve-s3like")
    assert r.code == 2 and "--size is required" in r.err
    r = run_cli("place", case, "--device", "be-valve-s3like", "--size", "25")
    assert r.code == 2 and "20, 23, 26, 29" in r.err
    r = run_cli("place", case, "--device", "be-valve-s3like", "--size", "23",
                "--depth-mm", "40")
    assert r.code == 2 and "--depth-mm" in r.err
    r = run_cli("place", case, "--device", "be-valve-s3like", "--size", "23")
    assert r.code == 2 and "twindesk measure" in r.err


def test_body_size_from_the_twin():
    from twindesk.sim.tavr.place_job import body_size

    doc = {"clinical": {"vitals": [
        {"time_utc": "2024-01-01T00:00:00Z", "height_cm": 160, "weight_kg": 90},
        {"time_utc": "2024-06-01T00:00:00Z", "weight_kg": 80, "sbp_mmhg": 130}]},
        "physiology": {"bsa_m2": 1.5}}
    b = body_size(doc)
    assert b.bsa_m2 == pytest.approx(np.sqrt(160 * 80 / 3600))        # latest weight
    assert b.bmi_kg_per_m2 == pytest.approx(80 / 1.6 ** 2)
    b = body_size({"physiology": {"bsa_m2": 1.5}})
    assert (b.bsa_m2, b.bmi_kg_per_m2) == (1.5, None)
    assert body_size({}).bsa_m2 is None


@pytest.fixture(scope="module")
def demo_case(demo_phantom, tmp_path_factory):
    from .demo_case import measured_demo_case

    return measured_demo_case(demo_phantom, tmp_path_factory.mktemp("place") / "demo.twin")


def _frame_rings(path, d, c, n) -> np.ndarray:
    """Per lattice ring of the stored frame: height above the annulus, horizontal centre
    (3 LPS components, relative to the annulus centre) and mean outer radius (mm)."""
    import pyvista as pv

    from twindesk.geometry.surface import read_polydata
    from twindesk.model.devices import load_library

    with Case.open(path, write=False) as case:
        frame = pv.wrap(read_polydata(case.artifact_path(d["artifacts"]["frame"])))
    t = load_library().family(d["device"]["id"]).frame.strut_thickness_mm
    x = np.asarray(frame.points) - c
    level = np.asarray(frame.point_data["lattice_level"])
    rows = []
    for k in sorted(set(level[level >= 0])):
        ring = x[level == k]
        h = ring @ n
        centre = ring.mean(axis=0)
        centre -= (centre @ n) * n
        r = np.linalg.norm(ring - np.outer(h, n) - centre, axis=1).mean() + 0.5 * t
        rows.append([h.mean(), *centre, r])
    return np.array(rows)


@pytest.mark.slow
def test_place_on_the_demo_phantom(demo_case, run_cli):
    from twindesk.cli.place_cmds import human_place
    from twindesk.geometry.surface import read_polydata
    from twindesk.model.versions import versions

    path, truth = demo_case
    with Case.open(path, write=False) as case:
        n_versions = len(versions(case.doc))
    r = run_cli("place", path, "--device", "be-valve-s3like", "--size", "23", "--model",
                "fast", "--json")
    assert r.code == 0, r.err
    d = r.json
    assert d["placement"]["depth_source"] == "family default"
    assert d["implant_depth_mm"]["value"] == pytest.approx(4.0, abs=0.05)
    assert d["implant_depth_mm"]["unit"] == "mm"
    # rotation 0 faces the measured left-right commissure (truth: 18 mm up at 62°)
    c, n = np.asarray(truth["annulus"]["center_lps_mm"]), np.asarray(truth["annulus"]
                                                                     ["normal_lps"])
    comm = np.asarray(truth["commissures"]["right_left"]["point_lps_mm"]) - c
    comm -= comm.dot(n) * n
    cosang = np.dot(comm / np.linalg.norm(comm), d["placement"]["commissure_direction_lps"])
    assert np.degrees(np.arccos(min(1.0, cosang))) < 8.0
    # the ostia are the truth's, at 13 and 16 mm
    rings = _frame_rings(path, d, c, n)
    for side, height in (("left", 13.0), ("right", 16.0)):
        cor = d["coronary"][side]
        assert cor["height_mm"] == pytest.approx(height, abs=0.5)
        # VTC = horizontal distance of the truth ostium from the frame's axis minus the
        # frame's outer radius, both interpolated at the ostium height between the lattice
        # rings (the frame tilts a few degrees in this root); independent of the ellipse
        # fit the command uses
        o = np.asarray(truth["coronary_ostia"][side]["lower_edge_lps_mm"]) - c
        h = o @ n
        centre = np.array([np.interp(h, rings[:, 0], rings[:, k]) for k in (1, 2, 3)])
        radius = np.interp(h, rings[:, 0], rings[:, 4])
        expected = np.linalg.norm(o - h * n - centre) - radius
        assert cor["vtc_mm"]["value"] == pytest.approx(expected, abs=0.3), side
        assert cor["vtc_high_risk"] == (cor["vtc_mm"]["value"] < 4.0)
        assert cor["vtc_mm"]["low"] <= cor["vtc_mm"]["value"] <= cor["vtc_mm"]["high"]
    # conduction: truth septum 7 mm below the annulus, implant 4 mm deep
    assert d["conduction"]["msid_mm"]["value"] == pytest.approx(3.0, abs=0.6)
    assert d["conduction"]["risk"] == "low"
    # EOA 1.45 cm² / BSA(170 cm, 70 kg) = 0.74 cm²/m²: moderate mismatch
    e = d["eoa"]
    assert e["bsa_m2"] == pytest.approx(np.sqrt(170 * 70 / 3600))
    assert e["indexed_eoa_cm2_per_m2"]["value"] == pytest.approx(1.45 / e["bsa_m2"])
    assert e["ppm"] == "moderate"
    # stored: frame, pressure map, metrics, index record and one more twin version
    with Case.open(path, write=False) as case:
        keys = d["artifacts"]
        frame = read_polydata(case.artifact_path(keys["frame"]))
        assert frame.GetNumberOfLines() > 100
        assert frame.GetPointData().GetArray("lattice_level") is not None
        pmap = read_polydata(case.artifact_path(keys["pressure_map"]))
        assert pmap.GetPointData().GetArray("contact_pressure_kpa") is not None
        stored = case.read_json(keys["metrics"])
        assert stored["levels"] == d["levels"]
        rec = case.doc["placements"]["be-valve-s3like:23"]
        assert rec["version"] == d["version"] and rec["model"] == "fast"
        assert len(versions(case.doc)) == n_versions + 1
        assert versions(case.doc)[-1]["kind"] == "simulation"
    text = human_place(d)
    assert "VTC" in text and "mismatch moderate" in text
    # the report's device section shows this placement with its intervals
    from twindesk.report.device_section import devices

    with Case.open(path, write=False) as case:
        sec = devices(case, None)
    assert sec.status == "computed"
    tables = [b for b in sec.blocks if hasattr(b, "rows")]
    assert len(tables) == 3
    risk = tables[2].rows[0]
    assert risk[0].startswith("Balloon-expandable") and "23 mm" in risk[0]
    assert "PPM moderate" in risk[4] and "low risk" in risk[3]
    cells = " ".join(" ".join(r) for t in tables for r in t.rows)
    assert not any(w in cells.lower().split() for w in ("nan", "none,", "null"))


@pytest.mark.slow
def test_all_sizes_table_on_the_demo_phantom(demo_case, run_cli):
    from twindesk.cli.place_cmds import human_table

    path, _ = demo_case
    r = run_cli("place", path, "--device", "se-valve-evolutlike", "--all-sizes", "--json")
    assert r.code == 0, r.err
    d = r.json
    assert d["model"] == "fast"
    # perimeter 74.0 mm: the 29 mm size fits (72.3-81.7 mm)
    assert d["fitting_sizes_mm"] == [29.0]
    row = d["sizes"][0]
    assert row["status"] == "ok" and row["sizing"]["fits"]
    assert row["sizing"]["oversizing_perimeter_pct"] == pytest.approx(
        (np.pi * 29 / 74.04 - 1) * 100, abs=1.5)
    assert row["levels"]["annulus"]["expansion_pct"]["unit"] == "%"
    assert "29" in human_table(d)
