"""Twin panel: follow-up import as a job with the fused overlay on the baseline, and the
live view following a growing vitals file (planning support, no alarms)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QMessageBox

from tests.gui.conftest import wait_idle
from tests.unit.twin.synthetic_aorta import rotation, volume
from twindesk.model.case import Case

R_BASE, R_FU = 16.0, 18.0


@pytest.fixture
def aorta_case(tmp_path):
    import SimpleITK as sitk

    from twindesk.io.volume import geometry_of, write_case_volume

    base = volume(R_BASE, 1.5, (-52.0, -55.0, -55.0), (70, 70, 70))
    fu = volume(R_FU, 1.25, (-58.0, -62.0, -50.0), (94, 96, 90), rotation(4.0, -3.0, 6.0),
                (8.0, -5.0, 6.0), seed=2)
    sitk.WriteImage(fu, str(tmp_path / "followup.mha"))
    path = tmp_path / "aorta.twin"
    with Case.create(path) as case:
        case.put_artifact("volume", lambda p: write_case_volume(base, p), ".mha", "volume")
        case.doc["image"] = {**geometry_of(base), "modality": "CT"}
        case.doc["study"] = {"date": "20230110"}
        case.save("import", {})
    return path, tmp_path / "followup.mha"


def test_follow_up_import_then_fused_overlay(main_window, aorta_case, qtbot):
    path, fu = aorta_case
    assert main_window.open_case(path)
    wait_idle(qtbot, main_window)
    panel = main_window.panels["twin"]
    main_window.actions_by_id["twin.followup"].trigger()
    dialog = panel.followup.dialog
    assert dialog.isVisible() and dialog.baseline_date.text() == "20230110"
    dialog.src.setText(str(fu))
    dialog.study_date.setText("2024-07-10")
    dialog.segmenter.setCurrentIndex(dialog.segmenter.findData("threshold"))
    dialog.ok.click()
    assert main_window.jobs.busy and not main_window.session.writable
    wait_idle(qtbot, main_window, 180000)
    assert main_window.errors.history == []
    disk = json.loads((path / "case.json").read_text())
    [rec] = disk["twin"]["followups"]
    assert rec["growth"]["change_mm"] == pytest.approx(2 * (R_FU - R_BASE), abs=0.4)
    assert disk["twin"]["versions"][-1]["kind"] == "follow-up"
    table = panel.followup.table
    assert table.rowCount() == 1 and table.item(0, 0).text() == "fu-1"
    assert table.item(0, 5).text() == f"{rec['growth']['change_mm']:+.1f} mm"
    assert "aorta" in main_window.state.layers    # the baseline mask the follow-up stored
    # overlay: the follow-up on the baseline grid, fused in the MPR views
    panel.followup.overlay.setChecked(True)
    wait_idle(qtbot, main_window)
    state = main_window.state
    assert state.fusion_name == "fu-1" and state.fusion_volume.shape == state.volume.shape
    # where the follow-up's (wider) ascending aorta is, the fused volume is bright lumen
    k, j, i = np.round(state.geometry.lps_to_index(np.array([-20.0 + 17.0, 0.0, -10.0])
                                                   )[::-1]).astype(int)
    assert state.fusion_volume[k, j, i] > 250 and state.volume[k, j, i] < 150
    view = main_window.slice_views["axial"]
    view.repaint()
    assert view._qimage.format() == QImage.Format.Format_RGB888
    panel.followup.blend.setValue(0)
    assert state.fusion_blend == 0.0
    panel.followup.overlay.setChecked(False)
    assert state.fusion_volume is None


HEADER = "time_utc,sbp_mmhg,dbp_mmhg,hr_bpm,co_l_min\n"


def test_live_view_follows_a_growing_file_without_alarms(main_window, synthetic_case,
                                                         run_cli, tmp_path, qtbot):
    r = run_cli("calibrate", synthetic_case.path, "--sbp", "140", "--dbp", "80", "--hr", "70",
                "--co-l-min", "5.0", "--samples", "40")
    assert r.code == 0, r.err
    assert main_window.open_case(synthetic_case.path)
    wait_idle(qtbot, main_window)
    before = (synthetic_case.path / "case.json").read_bytes()
    panel = main_window.panels["twin"]
    main_window.actions_by_id["twin.live"].trigger()
    live = panel.live
    assert panel.current_tab() is live
    assert "not patient monitoring" in live.label.text() and "no alarms" in live.label.text()
    csv = tmp_path / "live.csv"
    csv.write_text(HEADER + "2024-03-01T08:00:00Z,140,80,70,5.0\n")
    live.poll_s.setValue(0.2)
    assert live.start(csv)
    qtbot.waitUntil(lambda: len(live.points) == 1, timeout=20000)
    assert live.outside_count == 0
    with csv.open("a") as f:   # a value far below the band, and a partial line not yet read
        f.write("2024-03-01T08:05:00Z,120,50,95,5.2\n2024-03-01T08:06:00Z,141,81,71,5.0\n"
                "2024-03-01T08:10")
    qtbot.waitUntil(lambda: len(live.points) == 3, timeout=20000)
    assert live.outside_count == 1 and "dbp_mmhg" in live.points[1]["outside_band"]
    assert live.points[2]["outside_band"] == []
    assert "3 time points, 1 with a value outside" in live.status.text()
    assert "information only" in live.status.text()
    # no alarm: no dialog of any kind, nothing written to the case
    assert not [w for w in QApplication.topLevelWidgets()
                if isinstance(w, QMessageBox) and w.isVisible()]
    assert main_window.errors.history == []
    live.stop()
    assert not live.running and "Stopped" in live.status.text()
    assert (synthetic_case.path / "case.json").read_bytes() == before


def test_live_view_refuses_an_uncalibrated_twin(opened, tmp_path):
    csv = tmp_path / "v.csv"
    csv.write_text(HEADER)
    assert not opened.panels["twin"].live.start(csv)
    assert "not calibrated" in opened.errors.history[-1][0]
    opened.errors.close_all()
