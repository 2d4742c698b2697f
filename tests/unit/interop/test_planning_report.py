"""The planning report: every section present, numbers with units, no nan/None/inf, what is
missing said in words; the measurement table and its CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
import subprocess

import numpy as np
import pytest
from interop_factory import BOXES, SPACING_MM, make_case, voxels

from twindesk.errors import TwindeskError
from twindesk.model.case import Case
from twindesk.report.content import Table, fmt, fmt_interval, label_of, unit_of

TITLES = ["Identification", "Data provenance and quality", "MPR and 3D images",
          "Aortic root measurements and C-arm views",
          "Device size comparison, mechanics and risks",
          "Flow and 0D results before and after the intervention",
          "Calibration targets and fit", "Twin timeline and predicted versus observed",
          "Verification evidence", "Limitations"]
VITALS = ["--sbp", "135", "--dbp", "75", "--hr", "70", "--co-l-min", "5.0",
          "--mean-gradient-mmhg", "40", "--height-cm", "170", "--weight-kg", "75"]


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    """A segmented, calibrated, simulated case with a follow-up observation (built once)."""
    from twindesk.cli import main

    root = tmp_path_factory.mktemp("report")
    path = make_case(root)
    assert main(["calibrate", str(path), *VITALS, "--samples", "24", "--json"]) == 0
    assert main(["simulate0d", str(path), "--json"]) == 0
    later = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).isoformat()
    with Case.open(path) as case:
        case.doc.setdefault("clinical", {}).setdefault("vitals", []).append(
            {"co_l_min": 4.6, "mean_gradient_mmhg": 12.0, "dbp_mmhg": 70.0, "time_utc": later})
        case.save("clinical", {"vitals": 1})
    return path


def _copy(path, tmp_path):
    dest = tmp_path / "case.twin"
    shutil.copytree(path, dest, ignore=shutil.ignore_patterns(".lock"))
    return dest


def pdf_text(pdf) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True, timeout=60).stdout


def assert_clean(text: str) -> None:
    bad = re.findall(r"\b(nan|none|inf|infinity|null)\b", text, flags=re.I)
    assert not bad, bad


def test_report_of_a_calibrated_case(calibrated, tmp_path, run_cli):
    path = _copy(calibrated, tmp_path)
    out = tmp_path / "plan.pdf"
    r = run_cli("report", path, "--out", out, "--json")
    assert r.code == 0, r.err
    d = r.json
    assert out.read_bytes()[:5] == b"%PDF-" and d["bytes"] == out.stat().st_size
    assert d["pages"] >= 4
    status = {s["id"]: s for s in d["sections"]}
    assert [s["title"] for s in d["sections"]] == TITLES
    assert status["images"]["figures"] == 2 and status["images"]["status"] == "computed"
    assert status["aortic_root"]["status"] == "not computed"
    assert status["calibration"]["status"] == "computed" and status["calibration"]["tables"] == 2
    assert status["flow"]["figures"] == 1 and status["flow"]["status"] == "partial"
    assert status["timeline"]["tables"] == 2  # versions + predicted vs observed
    text = pdf_text(out)
    assert_clean(text)
    for title in TITLES:
        assert title in " ".join(text.split()), title
    for unit in ("mmHg", "ml", "L/min", "mm", "%", "bpm", "m/s", "cm²", "mmHg·s/ml"):
        assert unit in text, unit
    assert "Research and planning support — not for diagnosis." in text
    assert "Doe Johnathan" in text and "Not computed:" in text
    with Case.open(path, write=False) as case:
        h = case.doc["physiology"]["results"]["baseline"]["haemodynamics"]
        cal = case.doc["physiology"]["calibrations"][-1]
        assert case.audit_entries()[-1]["action"] == "report"
    # numbers in the PDF are the case's numbers, with units and intervals
    co = cal["predictions"]["cardiac_output_l_min"]
    assert re.search(r"Cardiac output\s+" + re.escape(fmt(h["cardiac_output_l_min"], "L/min"))
                     + r"\s+" + re.escape(fmt_interval(co["low"], co["high"], "L/min")), text)
    assert fmt(h["mean_gradient_mmhg"], "mmHg") in text
    # the follow-up cardiac output (4.6 L/min) against the prediction, inside its interval?
    inside = "yes" if co["low"] <= 4.6 <= co["high"] else "no"
    assert re.search(r"Cardiac output\s+4\.6 L/min\s+" + re.escape(fmt(co["value"], "L/min"))
                     + r"\s+.*L/min\s+" + inside, text)


def test_report_of_a_bare_case_says_what_is_missing(tmp_path, run_cli):
    path = make_case(tmp_path, labels=False)
    out = tmp_path / "plan.pdf"
    r = run_cli("report", path, "--out", out, "--json")
    assert r.code == 0, r.err
    status = {s["id"]: s for s in r.json["sections"]}
    assert status["images"]["figures"] == 1 and status["images"]["status"] == "partial"
    for sid in ("aortic_root", "devices", "calibration"):
        assert status[sid]["status"] == "not computed", sid
    assert any("0D circulation" in m for m in status["flow"]["not_computed"])
    text = pdf_text(out)
    assert_clean(text)
    assert text.count("Not computed:") == sum(len(s["not_computed"]) for s in r.json["sections"])


def test_report_of_a_deidentified_case_shows_the_pseudonym(tmp_path, run_cli):
    path = make_case(tmp_path, deidentify=True, labels=False)
    out = tmp_path / "plan.pdf"
    assert run_cli("report", path, "--out", out).code == 0
    text = pdf_text(out)
    with Case.open(path, write=False) as case:
        assert case.doc["deid"]["pseudonym"] in text
    assert "Johnathan" not in text and "PID-83921" not in text


def test_report_refuses_bad_output(tmp_path, run_cli):
    path = make_case(tmp_path, labels=False)
    r = run_cli("report", path, "--out", tmp_path / "plan.txt")
    assert r.code == 2 and ".pdf" in r.err
    r = run_cli("report", path, "--out", tmp_path / "nope" / "plan.pdf")
    assert r.code == 2 and "does not exist" in r.err


def test_formatting_rules():
    assert fmt(4.99999909, "L/min") == "5 L/min"
    assert fmt(0.0637337, "mmHg·s/ml") == "0.0637 mmHg·s/ml"
    assert fmt(-3.5, "°") == "−3.5°" and fmt(51.877, "%") == "51.9 %"
    assert fmt(643.047, "ml") == "643 ml" and fmt(12345.6, "mm") == "12346 mm"
    assert fmt_interval(None, 3.0, "mm") is None
    for bad in (float("nan"), float("inf"), None, "12", True):
        with pytest.raises(TwindeskError):
            fmt(bad, "mm")
    assert unit_of("c_ml_per_mmhg") == "ml/mmHg" and unit_of("peak_velocity_m_s") == "m/s"
    assert unit_of("cardiac_output_l_min") == "L/min" and unit_of("label") is None
    assert label_of("lv_end_diastolic_mmhg") == "LV end diastolic"
    with pytest.raises(TwindeskError):
        Table(("a", "b"), (("1", ""),))
    with pytest.raises(TwindeskError):
        Table(("a", "b"), ())


def test_measurements_csv(calibrated, tmp_path, run_cli):
    path = _copy(calibrated, tmp_path)
    out = tmp_path / "m.csv"
    r = run_cli("export", path, out, "--what", "measurements", "--json")
    assert r.code == 0, r.err
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert r.json["rows"] == len(rows)
    assert {"segmentation", "0D calibration: parameters", "0D calibration: predictions",
            "0D result: baseline"} <= set(r.json["groups"])
    voxel_ml = float(np.prod(SPACING_MM)) / 1000
    seg = {row["quantity"]: row for row in rows if row["group"] == "segmentation"}
    for name in BOXES:
        row = seg[f"{name} volume"]
        assert float(row["value"]) == pytest.approx(voxels(name) * voxel_ml, rel=1e-5)
        assert row["unit"] == "ml" and row["low_95"] == ""
    with Case.open(path, write=False) as case:
        cal = case.doc["physiology"]["calibrations"][-1]
        assert case.audit_entries()[-1]["params"]["what"] == "measurements"
    co = cal["predictions"]["cardiac_output_l_min"]
    row = next(r for r in rows if r["group"] == "0D calibration: predictions"
               and r["quantity"] == "Cardiac output")
    assert (float(row["value"]), float(row["low_95"]), float(row["high_95"])) == pytest.approx(
        (co["value"], co["low"], co["high"]), rel=1e-5)
    assert row["unit"] == "L/min"
    assert all(row["unit"] and row["value"] for row in rows)
    assert not any(re.search(r"nan|inf", row["value"] + row["low_95"] + row["high_95"], re.I)
                   for row in rows)


def test_measurements_csv_refusals(tmp_path, run_cli):
    path = make_case(tmp_path, labels=False)
    r = run_cli("export", path, tmp_path / "m.csv", "--what", "measurements")
    assert r.code == 2 and "no measurements" in r.err
    r = run_cli("export", path, tmp_path / "m.txt", "--what", "measurements")
    assert r.code == 2 and ".csv" in r.err
    assert json.loads((path / "case.json").read_text())["revision"] == 1


def test_report_cites_what_twindesk_verify_stored(calibrated, tmp_path, run_cli):
    """A verify run on this workstation (here the reduced Poiseuille check) appears in the
    report's verification section with its error, tolerance and outcome."""
    import json as _json

    from twindesk.report.build import verification_evidence

    assert verification_evidence() is None
    v = run_cli("verify", "--check", "poiseuille", "--size", "reduced", "--json")
    assert v.code == 0, v.err
    ev = verification_evidence()
    assert [c["name"] for c in ev["checks"]] == ["poiseuille"]
    check = v.json["checks"][0]
    assert ev["checks"][0]["value"] == pytest.approx(check["error"])
    path = _copy(calibrated, tmp_path)
    r = run_cli("report", path, "--out", tmp_path / "plan.pdf", "--json")
    assert r.code == 0, r.err
    status = {s["id"]: s for s in r.json["sections"]}
    assert status["verification"]["status"] == "computed", status["verification"]
    text = " ".join(pdf_text(tmp_path / "plan.pdf").split())
    assert "poiseuille (reduced size)" in text and "passed" in text
    assert_clean(text)
    from pathlib import Path

    stored = _json.loads(Path(v.json["results_file"]).read_text(encoding="utf-8"))
    assert stored["checks"][0]["name"] == "poiseuille"
