"""twindesk twin watch: follows a growing CSV, compares with the twin's band, stops on Ctrl+C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from twindesk.model.case import Case
from twindesk.twin.watch import LABEL, Watcher

VITALS = ["--sbp", "140", "--dbp", "80", "--hr", "70", "--co-l-min", "5.0"]
HEADER = "time_utc,sbp_mmhg,dbp_mmhg,hr_bpm,co_l_min\n"


@pytest.fixture
def calibrated(run_cli, twin_case):
    r = run_cli("calibrate", twin_case, *VITALS, "--samples", "40", "--json")
    assert r.code == 0, r.err
    return twin_case, r.json


def test_watcher_band_and_trajectory(calibrated, tmp_path):
    case_path, cal = calibrated
    csv = tmp_path / "live.csv"
    csv.write_text(HEADER + "2024-03-01T08:00:00Z,140,80,70,5.0\n")
    with Case.open(case_path, write=False) as case:
        w = Watcher(case.doc, csv)
    first = w.poll()
    assert len(first) == 1
    c = first[0]["compared"]
    # at the calibrated heart rate the re-solved model reproduces the calibration's prediction
    pred = cal["predictions"]["aortic_diastolic_mmhg"]
    assert c["dbp_mmhg"]["predicted"] == pytest.approx(pred["value"], rel=2e-3)
    assert c["dbp_mmhg"]["low"] == pytest.approx(pred["low"], rel=2e-3)
    assert c["map_central_mmhg"]["observed"] == pytest.approx(80 + 0.4 * 60)
    assert first[0]["outside_band"] == []          # the calibration data lie inside the band
    assert w.poll() == []                          # nothing new
    # a partial line is not read; a complete one with a much lower DBP leaves the band
    with csv.open("a") as f:
        f.write("2024-03-01T08:05:00Z,120,50,95,5.2\n2024-03-01T08:10")
    new = w.poll()
    assert [p["time_utc"] for p in new] == ["2024-03-01T08:05:00Z"]
    assert new[0]["hr_bpm"] == 95 and "dbp_mmhg" in new[0]["outside_band"]
    # the model at 95/min predicts a higher mean pressure than at 70/min
    assert new[0]["compared"]["map_central_mmhg"]["predicted"] > \
        c["map_central_mmhg"]["predicted"]
    s = w.summary()
    assert s["n_points"] == 2 and s["n_points_outside_band"] == 1 and s["label"] == LABEL


def test_watch_needs_a_calibrated_twin(run_cli, twin_case, tmp_path):
    csv = tmp_path / "v.csv"
    csv.write_text(HEADER)
    r = run_cli("twin", "watch", twin_case, "--vitals", csv, "--max-seconds", "0")
    assert r.code == 2 and "not calibrated" in r.err


def test_watch_max_seconds_json(run_cli, calibrated, tmp_path):
    case_path, _ = calibrated
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "a.json").write_text(json.dumps({
        "resourceType": "Observation", "id": "hr", "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
        "effectiveDateTime": "2024-03-01T08:00:00Z",
        "valueQuantity": {"value": 80, "system": "http://unitsofmeasure.org", "code": "/min"}}))
    (folder / "partial.json").write_text('{"resourceType": "Obs')   # still being written
    r = run_cli("twin", "watch", case_path, "--vitals", folder, "--max-seconds", "0", "--json",
                schema="twin-watch")
    assert r.code == 0, r.err
    d = r.json
    assert d["n_points"] == 1 and d["points"][0]["hr_bpm"] == 80
    assert d["stopped_by"] == "--max-seconds 0"
    assert "not patient monitoring" in r.err                       # label on stderr in --json


def test_watch_subprocess_follows_appended_rows_and_stops_cleanly_on_sigint(calibrated, tmp_path):
    case_path, _ = calibrated
    csv = tmp_path / "live.csv"
    csv.write_text(HEADER)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "twindesk", "twin", "watch", str(case_path),
                             "--vitals", str(csv), "--poll-s", "0.1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert "not patient monitoring" in proc.stdout.readline()
        rows = ["2024-03-01T08:00:00Z,140,80,70,5.0", "2024-03-01T08:01:00Z,120,50,95,5.2"]
        seen = []
        for row in rows:
            with csv.open("a") as f:
                f.write(row + "\n")
            seen.append(proc.stdout.readline())           # one line per new time point
        assert seen[0].startswith("2024-03-01T08:00:00Z") and "OUTSIDE" not in seen[0]
        assert seen[1].startswith("2024-03-01T08:01:00Z") and "OUTSIDE band" in seen[1]
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Stopped (Ctrl+C). 2 time points, 1 with a value outside" in out
    assert "Traceback" not in err
