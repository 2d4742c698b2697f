"""Twin panel: attach data, timeline, diff, confirmed revert, recalibration as a job, the
accuracy table — each checked against the case on disk and its audit log."""

from __future__ import annotations

import json

import pytest

from tests.gui.conftest import wait_idle
from tests.unit.twin.conftest import ECHO_LONG_CSV, VITALS_CSV
from twindesk.model.case import Case


def on_disk(path) -> dict:
    return json.loads((path / "case.json").read_text(encoding="utf-8"))


def audit_actions(path) -> list[str]:
    with Case.open(path, write=False) as case:
        return [e["action"] for e in case.audit_entries()]


@pytest.fixture
def vitals(tmp_path):
    p = tmp_path / "vitals.txt"     # recognised by content, not by extension
    p.write_text(VITALS_CSV, encoding="utf-8")
    return p


def test_attach_timeline_diff_and_confirmed_revert(opened, synthetic_case, vitals, qtbot):
    panel, path = opened.panels["twin"], synthetic_case.path
    result = panel.attach_dialog(vitals)
    assert result["version"]["id"] == "v2" and len(result["observations"]) == 10
    disk = on_disk(path)
    assert len(disk["clinical"]["observations"]) == 10 and disk["twin"]["head"] == "v2"
    assert audit_actions(path)[-1] == "twin-add"
    assert not opened.session.dirty                      # the core committed it
    types = [panel.timeline.table.item(r, 1).text()
             for r in range(panel.timeline.table.rowCount())]
    assert types.count("observation") == 10 and "data-attached" in types
    assert types.count("version") == 2
    panel.timeline.filter.setCurrentIndex(panel.timeline.filter.findData("version"))
    assert panel.timeline.table.rowCount() == 2

    versions = panel.versions
    assert [versions.table.item(r, 1).text() for r in range(2)] == ["v2", "v1"]
    assert versions.table.item(0, 0).text() == "▶"       # the head
    versions.table.selectRow(1)                         # v1 alone: compared with the head
    versions.diff_selected()
    paths = {versions.diff_table.item(r, 0).text(): versions.diff_table.item(r, 1).text()
             for r in range(versions.diff_table.rowCount())}
    assert paths["clinical"] == "added"
    assert paths["artefact clinical:src-1"] == "added"
    assert versions.diff_label.text().startswith("v1 → v2")

    asked = []
    opened.ask = lambda title, text, buttons, default: asked.append(text) or "No"
    versions.table.selectRow(1)
    assert panel.revert_selected() is None               # declined: nothing happens
    assert "nothing is deleted" in asked[0].lower() and on_disk(path)["twin"]["head"] == "v2"
    opened.ask = lambda title, text, buttons, default: "Yes"
    versions.table.selectRow(1)
    version = panel.revert_selected()
    assert version["id"] == "v3" and version["kind"] == "revert"
    disk = on_disk(path)
    assert "clinical" not in disk and disk["twin"]["head"] == "v3"
    assert len(disk["twin"]["versions"]) == 3            # history only grows
    assert audit_actions(path)[-1] == "twin-revert"
    assert versions.table.item(0, 1).text() == "v3"
    assert opened.errors.history == []


def test_attaching_asks_to_save_unsaved_work_first(opened, synthetic_case, vitals):
    from twindesk.model import annotations, commands

    case = opened.session.case
    with commands.recording(case, "distance", ["/annotations"]):
        annotations.add_measurement(case.doc, "distance", [[0, 0, 100], [0, 10, 100]], 10.0,
                                    "axial")
    assert opened.session.dirty
    opened.ask = lambda title, text, buttons, default: "Cancel"
    assert opened.panels["twin"].attach_dialog(vitals) is None
    assert "clinical" not in on_disk(synthetic_case.path)
    opened.ask = lambda title, text, buttons, default: "Save"
    assert opened.panels["twin"].attach_dialog(vitals) is not None
    assert audit_actions(synthetic_case.path)[-2:] == ["gui-save", "twin-add"]


def test_recalibration_runs_as_a_job_and_shows_targets_vs_model(opened, synthetic_case, vitals,
                                                                qtbot):
    panel = opened.panels["twin"]
    panel.attach_dialog(vitals)
    tab = panel.calibration
    tab.samples.setValue(40)
    opened.actions_by_id["twin.recalibrate"].trigger()
    assert opened.jobs.busy
    assert not opened.session.writable                   # the job holds the case meanwhile
    assert "busy" in opened.session.case.readonly_reason
    wait_idle(qtbot, opened, 120000)
    assert opened.errors.history == [] and opened.session.writable
    disk = on_disk(synthetic_case.path)
    cal = disk["physiology"]["calibrations"][-1]
    assert disk["twin"]["versions"][-1]["kind"] == "calibration"
    assert audit_actions(synthetic_case.path)[-1] == "calibrate"
    rows = {tab.targets.item(r, 0).text(): tab.targets.item(r, 3).text()
            for r in range(tab.targets.rowCount())}
    assert set(rows) == {k.replace("_", " ") for k in cal["reproduced"]}
    for key, rec in cal["reproduced"].items():
        assert rows[key.replace("_", " ")] == f"{rec['error_pct']:+.2f} %"
        assert abs(rec["error_pct"]) < 1.0               # the fit reproduces its targets
    assert tab.parameters.rowCount() == len(cal["fitted"])
    assert opened.session.case.doc["revision"] == disk["revision"]   # adopted, clean
    assert not opened.session.dirty


def test_accuracy_table_pairs_prediction_with_attached_echo(main_window, synthetic_case,
                                                            tmp_path, qtbot):
    from twindesk.twin.accuracy import record_prediction

    with Case.open(synthetic_case.path) as case:
        record_prediction(case, "mean_gradient_mmhg", 9.0, 6.0, 13.0, "mm[Hg]", "test plan",
                          valid_from_utc="2024-01-01T00:00:00Z")
        case.save("twin-predict", {})
    assert main_window.open_case(synthetic_case.path)
    wait_idle(qtbot, main_window)
    tab = main_window.panels["twin"].accuracy
    assert tab.table.item(0, 4).text() == "not yet"
    echo = tmp_path / "echo.dat"
    echo.write_text(ECHO_LONG_CSV, encoding="utf-8")
    result = main_window.panels["twin"].attach_dialog(echo)
    assert [p["id"] for p in result["predictions_matched"]] == ["p1"]
    cells = [tab.table.item(0, c).text() for c in range(tab.table.columnCount())]
    assert cells[:7] == ["p1", "mean_gradient_mmhg", "9 mm[Hg]", "6 – 13 (95 %)",
                         "9.5 (2024-06-01)", "+0.5 mm[Hg]", "yes"]
    assert "1 of 1 predictions observed" in tab.summary.text()
    assert "coverage 100 %" in tab.summary.text()


def test_cancelled_or_interrupted_twin_job_leaves_the_case_unchanged_and_writable(
        opened, synthetic_case, vitals, qtbot):
    panel = opened.panels["twin"]
    panel.attach_dialog(vitals)
    before = (synthetic_case.path / "case.json").read_bytes()
    panel.calibration.samples.setValue(20000)        # long enough to cancel
    panel.recalibrate()
    qtbot.waitUntil(lambda: opened.job_bar.bar.value() > 0, timeout=60000)
    opened.jobs.cancel()
    wait_idle(qtbot, opened, 60000)
    assert opened.session.writable and opened.errors.history == []
    assert (synthetic_case.path / "case.json").read_bytes() == before
    # closing the case while the job runs hands the lock back too: reopening can write
    panel.recalibrate()
    qtbot.waitUntil(lambda: opened.job_bar.bar.value() > 0, timeout=60000)
    assert opened.close_case(ask=False)
    assert (synthetic_case.path / "case.json").read_bytes() == before
    wait_idle(qtbot, opened)        # the cancelled job's last signals arrive after the close
    assert opened.open_case(synthetic_case.path)
    wait_idle(qtbot, opened)
    assert opened.session.writable
