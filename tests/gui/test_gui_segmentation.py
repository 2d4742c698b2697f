"""Segmentation through the UI: brushes, threshold brush, clean-ups, volume, undo/redo with
the keyboard, save and reopen; a running segmentation job cancelled promptly."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from tests.conftest import shared_data
from tests.gui.conftest import SPACING, VESSEL_HU, wait_idle

VOXEL_ML = float(np.prod(SPACING)) / 1000.0


def click(qtbot, view, lps) -> np.ndarray:
    """Click the view where ``lps`` is drawn; returns the LPS point the view maps it to."""
    x, y, _ = view.mapping().lps_to_widget(view.image, lps)
    pos = QPoint(int(round(x)), int(round(y)))
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=pos)
    return view.lps_at(pos.x(), pos.y())


def ball(window, center, radius_mm) -> np.ndarray:
    g = window.state.geometry
    k, j, i = np.mgrid[0:g.size[2], 0:g.size[1], 0:g.size[0]]
    lps = g.index_to_lps(np.stack([i, j, k], -1).astype(float))
    return np.linalg.norm(lps - center, axis=-1) <= radius_mm


def volume_text(panel) -> str:
    return panel.volume_label.text()


def test_brushes_volume_undo_redo_save(opened, synthetic_case, qtbot):
    w = opened
    panel = w.panels["segmentation"]
    panel.structure.setCurrentText("lv")
    axial = w.slice_views["axial"]
    z = w.state.cursor_lps[2]
    # paint a 3 mm ball
    w.actions_by_id["seg.paint"].trigger()
    assert w.state.tool == "paint"
    panel.radius.setValue(3.0)
    c = click(qtbot, axial, np.array([8.0, -6.0, z]))
    expected = ball(w, c, 3.0)
    mask = w.state.layers["lv"].mask.astype(bool)
    np.testing.assert_array_equal(mask, expected)
    n = int(expected.sum())
    assert volume_text(panel) == f"lv: {n * VOXEL_ML:.1f} mL ({n} voxels)"
    assert "*" in w.windowTitle()
    # erase a 1.5 mm ball at the same place
    w.actions_by_id["seg.erase"].trigger()
    panel.radius.setValue(1.5)
    c2 = click(qtbot, axial, c)
    expected &= ~ball(w, c2, 1.5)
    np.testing.assert_array_equal(w.state.layers["lv"].mask.astype(bool), expected)
    # undo / redo with the keyboard shortcuts
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow)
    qtbot.keyClick(w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert int(w.state.layers["lv"].mask.sum()) == n
    qtbot.keyClick(w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert "lv" not in w.state.layers and volume_text(panel) == "lv: no mask"
    qtbot.keyClick(w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    assert int(w.state.layers["lv"].mask.sum()) == n
    assert w.actions_by_id["edit.redo"].isEnabled()  # one more redo left
    qtbot.keyClick(w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.ShiftModifier)
    np.testing.assert_array_equal(w.state.layers["lv"].mask.astype(bool), expected)
    assert not w.actions_by_id["edit.redo"].isEnabled()
    # the 3D view shows the mask as a surface (built off the UI thread)
    qtbot.waitUntil(lambda: "lv" in w.state.surfaces, timeout=30000)
    assert w.state.surfaces["lv"].mesh.n_points > 0
    w.save_case()
    doc = json.loads((synthetic_case.path / "case.json").read_text())
    assert doc["artifacts"]["labels:lv"]["meta"]["voxels"] == int(expected.sum())
    assert [c["label"] for c in doc["history"]["undo"]][-2:] == [
        "paint lv brush stroke r 3 mm", "erase lv brush stroke r 1.5 mm"]


def test_threshold_brush_takes_the_vessel_inside_the_ball(opened, synthetic_case, qtbot):
    w = opened
    panel = w.panels["segmentation"]
    panel.structure.setCurrentText("aorta")
    w.actions_by_id["seg.threshold"].trigger()
    panel.radius.setValue(8.0)
    panel.low.setValue(300)
    panel.high.setValue(500)
    axial = w.slice_views["axial"]
    vessel = synthetic_case.index_to_lps(15, 15, 0)
    vessel[2] = w.state.cursor_lps[2]
    c = click(qtbot, axial, vessel)
    inside = ball(w, c, 8.0)
    in_range = (w.state.volume >= 300) & (w.state.volume <= 500)
    np.testing.assert_array_equal(w.state.layers["aorta"].mask.astype(bool), inside & in_range)
    assert np.all(w.state.volume[w.state.layers["aorta"].mask.astype(bool)] == VESSEL_HU)
    # a clean-up that changes nothing adds no edit; one that does is one more undoable edit
    n_edits = len(w.session.case.doc["history"]["undo"])
    panel.whole_mask_edit("keep_largest")
    assert len(w.session.case.doc["history"]["undo"]) == n_edits  # one island already
    w.actions_by_id["seg.paint"].trigger()
    panel.radius.setValue(2.0)
    click(qtbot, axial, np.array([15.0, 12.0, vessel[2]]))  # a small separate island
    assert len(w.session.case.doc["history"]["undo"]) == n_edits + 1
    panel.whole_mask_edit("keep_largest")
    np.testing.assert_array_equal(w.state.layers["aorta"].mask.astype(bool), inside & in_range)
    assert w.session.case.doc["history"]["undo"][-1]["label"].startswith("keep largest")


@pytest.mark.realdata
def test_cancel_running_segmentation_promptly_case_unchanged(main_window, qtbot, tmp_path):
    src = shared_data("ct_chest_cta", "example_ct.nii.gz")
    from tests.gui.conftest import write_case_from_file

    case = write_case_from_file(src, tmp_path / "cta.twin")
    w = main_window
    assert w.open_case(case)
    wait_idle(qtbot, w, 120000)
    before = (case / "case.json").read_bytes()
    w.panels["segmentation"].structure.setCurrentText("aorta")
    w.actions_by_id["seg.auto"].trigger()
    job = w.jobs.current
    qtbot.waitUntil(lambda: w.job_bar.bar.value() > 0, timeout=60000)
    t0 = time.monotonic()
    qtbot.mouseClick(w.job_bar.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: job.done, timeout=30000)
    latency = time.monotonic() - t0
    assert job.outcome == "cancelled" and w.errors.history == []
    assert latency < 5.0, f"cancel took {latency:.1f} s"
    assert "aorta" not in w.state.layers and not w.session.dirty
    assert (case / "case.json").read_bytes() == before


@pytest.mark.realdata
@pytest.mark.slow
def test_auto_aorta_through_the_ui_matches_the_cli(main_window, qtbot, tmp_path, run_cli):
    """The Auto action stores exactly what ``twindesk segment`` stores, and its volume shows."""
    import shutil

    import SimpleITK as sitk

    from tests.gui.conftest import write_case_from_file

    src = shared_data("ct_chest_cta", "example_ct.nii.gz")
    case = write_case_from_file(src, tmp_path / "ui.twin")
    twin = tmp_path / "cli.twin"
    shutil.copytree(case, twin)
    r = run_cli("segment", twin, "--structure", "aorta", "--json")
    assert r.code == 0, r.err
    w = main_window
    assert w.open_case(case)
    wait_idle(qtbot, w, 120000)
    w.panels["segmentation"].structure.setCurrentText("aorta")
    w.actions_by_id["seg.auto"].trigger()
    wait_idle(qtbot, w, 300000)
    assert w.errors.history == []
    ui_mask = w.state.layers["aorta"].mask.astype(bool)
    doc = json.loads((twin / "case.json").read_text())
    cli_path = twin / doc["artifacts"]["labels:aorta"]["path"]
    cli_mask = sitk.GetArrayFromImage(sitk.ReadImage(str(cli_path))) > 0
    np.testing.assert_array_equal(ui_mask, cli_mask)
    ml = r.json["volume_ml"]
    assert w.panels["segmentation"].volume_label.text().startswith(f"aorta: {ml:.1f} mL")
    assert 100 < ml < 400  # an adult thoracic aorta from the root to the diaphragm
