"""The workstation window driven like a user would: views, crosshair, window/level, rulers,
save, autosave recovery, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from twindesk import INTENDED_USE
from tests.gui.conftest import SIZE, SPACING, SPHERE_HU, wait_idle


def widget_point(view, lps) -> QPoint:
    x, y, depth = view.mapping().lps_to_widget(view.image, lps)
    return QPoint(int(round(x)), int(round(y)))


def test_open_case_shows_all_views(opened, synthetic_case):
    w = opened
    assert "synthetic.twin" in w.windowTitle() and "*" not in w.windowTitle()
    axial = w.slice_views["axial"]
    assert axial.image.pixels.shape == (SIZE[1], SIZE[0])        # rows = P, cols = L
    assert w.slice_views["coronal"].image.pixels.shape == (SIZE[2], SIZE[0])
    assert w.slice_views["sagittal"].image.pixels.shape == (SIZE[2], SIZE[1])
    assert w.findChild(type(w.intended_use), "intended_use").text().find(INTENDED_USE) >= 0
    np.testing.assert_allclose(w.state.cursor_lps, w.state.geometry.center_lps())


def test_click_moves_linked_crosshair_and_hover_reports_hu(opened, synthetic_case, qtbot):
    w = opened
    axial = w.slice_views["axial"]
    target = synthetic_case.sphere_center_lps.copy()
    target[2] = w.state.cursor_lps[2]
    # move the axial plane onto the sphere centre first (coronal click sets z)
    coronal = w.slice_views["coronal"]
    qtbot.mouseClick(coronal, Qt.MouseButton.LeftButton, pos=widget_point(
        coronal, np.array([w.state.cursor_lps[0], w.state.cursor_lps[1],
                           synthetic_case.sphere_center_lps[2]])))
    assert abs(w.state.cursor_lps[2] - synthetic_case.sphere_center_lps[2]) <= SPACING[2] / 2 + 0.2
    target[2] = w.state.cursor_lps[2]
    qtbot.mouseClick(axial, Qt.MouseButton.LeftButton, pos=widget_point(axial, target))
    pixel_mm = 1.0 / axial.mapping().scale
    assert np.linalg.norm(w.state.cursor_lps[:2] - target[:2]) <= pixel_mm + 1e-6
    for kind in ("coronal", "sagittal"):   # the other planes pass through the crosshair
        view = w.slice_views[kind]
        assert abs(view.image.lps_to_pixel(w.state.cursor_lps)[2]) <= view.scroll_step_mm() / 2
    qtbot.mouseMove(axial, widget_point(axial, target))
    qtbot.waitUntil(lambda: "HU" in w.hover_label.text())
    assert f"{SPHERE_HU} HU" in w.hover_label.text()


def test_wheel_scrolls_one_voxel(opened):
    w = opened
    axial = w.slice_views["axial"]
    z0 = w.state.cursor_lps[2]
    pos = QPointF(axial.width() / 2, axial.height() / 2)
    ev = QWheelEvent(pos, axial.mapToGlobal(pos), QPoint(0, 0), QPoint(0, 120),
                     Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                     Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(axial, ev)
    assert w.state.cursor_lps[2] == pytest.approx(z0 + SPACING[2])
    sag = w.slice_views["sagittal"]
    x0 = w.state.cursor_lps[0]
    sag.scroll(-3)
    assert w.state.cursor_lps[0] == pytest.approx(x0 - 3 * SPACING[0])


def test_window_presets_and_drag(opened, qtbot):
    w = opened
    w.actions_by_id["view.window.bone"].trigger()
    assert (w.state.window_width_hu, w.state.window_level_hu) == (2000, 500)
    axial = w.slice_views["axial"]
    c = QPoint(axial.width() // 2, axial.height() // 2)
    qtbot.mousePress(axial, Qt.MouseButton.RightButton, pos=c)
    qtbot.mouseMove(axial, c + QPoint(25, 10))
    qtbot.mouseRelease(axial, Qt.MouseButton.RightButton, pos=c + QPoint(25, 10))
    assert w.state.window_width_hu > 2000 and w.state.window_level_hu > 500
    w.panels["layers"].opacity.setValue(80)
    assert w.state.overlay_opacity == pytest.approx(0.8)


def test_ruler_and_angle_saved_with_the_case(opened, synthetic_case, qtbot):
    w = opened
    axial = w.slice_views["axial"]
    z = w.state.cursor_lps[2]
    a, b = np.array([-10.0, -5.0, z]), np.array([10.0, 10.0, z])
    w.actions_by_id["tool.ruler"].trigger()
    assert w.state.tool == "ruler"
    for p in (a, b):
        qtbot.mouseClick(axial, Qt.MouseButton.LeftButton, pos=widget_point(axial, p))
    (m,) = w.state.measurements
    pixel_mm = 1.0 / axial.mapping().scale
    assert m["kind"] == "distance" and m["value"] == pytest.approx(25.0, abs=2 * pixel_mm)
    w.actions_by_id["tool.angle"].trigger()
    for p in (np.array([10.0, 0, z]), np.array([0.0, 0, z]), np.array([0.0, 10, z])):
        qtbot.mouseClick(axial, Qt.MouseButton.LeftButton, pos=widget_point(axial, p))
    assert w.state.measurements[-1]["value"] == pytest.approx(90.0, abs=3.0)
    assert w.windowTitle().startswith("synthetic.twin*")
    assert w.panels["measurements"].table.rowCount() == 2
    w.actions_by_id["edit.undo"].trigger()        # measurements are undoable edits too
    assert [m["kind"] for m in w.state.measurements] == ["distance"]
    w.actions_by_id["edit.redo"].trigger()
    assert [m["kind"] for m in w.state.measurements] == ["distance", "angle"]
    w.actions_by_id["file.save"].trigger()
    doc = json.loads((synthetic_case.path / "case.json").read_text())
    assert len(doc["annotations"]["measurements"]) == 2 and doc["revision"] == 2
    assert "*" not in w.windowTitle()
    assert not (synthetic_case.path / ".autosave").exists()


def test_autosave_then_recovery_after_a_kill(main_window, synthetic_case, qtbot, monkeypatch):
    import signal
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(f"""
        import os, signal
        from twindesk.ui.session import CaseSession
        from twindesk.model.annotations import add_measurement
        s = CaseSession.open({str(synthetic_case.path)!r})
        add_measurement(s.case.doc, "distance", [[0, 0, 110], [0, 12, 110]], 12.0, "axial")
        assert s.autosave()
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", code], timeout=120)
    assert proc.returncode == -signal.SIGKILL
    asked = []
    monkeypatch.setattr(main_window, "ask", lambda title, *a: asked.append(title) or "Yes")
    assert main_window.open_case(synthetic_case.path)
    wait_idle(qtbot, main_window)
    assert asked == ["Recover unsaved work?"]
    assert [m["value"] for m in main_window.state.measurements] == [12.0]
    assert main_window.session.dirty and "*" in main_window.windowTitle()
    committed = json.loads((synthetic_case.path / "case.json").read_text())
    assert "annotations" not in committed  # recovery never commits by itself
    main_window.save_case()
    assert json.loads((synthetic_case.path / "case.json").read_text())["annotations"]


def test_read_only_case_refuses_edits(main_window, synthetic_case, qtbot):
    from twindesk.model.case import Case

    with Case.open(synthetic_case.path):  # another writer holds the lock
        assert main_window.open_case(synthetic_case.path)
        wait_idle(qtbot, main_window)
        assert "[read-only]" in main_window.windowTitle()
        main_window.state.measurement_done.emit("distance", [[0, 0, 110], [3, 4, 110]], "axial")
        assert main_window.state.measurements == [] and not main_window.session.dirty
        assert "read-only" in main_window.errors.history[-1][0]
        assert not main_window.actions_by_id["file.save"].isEnabled()
        main_window.errors.close_all()
        main_window.close_case()


def test_close_with_unsaved_changes_asks(opened, monkeypatch):
    w = opened
    w.state.measurement_done.emit("distance", [[0, 0, 110], [3, 4, 110]], "axial")
    answers = iter(["Cancel", "Discard"])
    monkeypatch.setattr(w, "ask", lambda *a: next(answers))
    assert not w.close_case() and w.session is not None
    assert w.close_case() and w.session is None


def test_error_dialog_on_broken_case_folder(main_window, tmp_path, qtbot):
    broken = tmp_path / "broken.twin"
    broken.mkdir()
    (broken / "case.json").write_text("{ not json")
    assert not main_window.open_case(broken)
    message, hint = main_window.errors.history[-1]
    assert "case.json" in message and "not valid JSON" in message and hint
    box = main_window.findChild(QMessageBox, "error_dialog")
    assert box is not None and box.isVisible() and "case.json" in box.text()
    assert "restore" in box.informativeText()
    main_window.errors.close_all()
    assert main_window.session is None


def test_actions_are_data_with_unique_ids_and_shortcuts(main_window):
    from PySide6.QtGui import QKeySequence

    actions = main_window.actions_by_id
    shortcuts = [a.shortcut().toString() for a in actions.values() if not a.shortcut().isEmpty()]
    assert len(shortcuts) == len(set(shortcuts))
    assert actions["file.save"].shortcut() == QKeySequence(QKeySequence.StandardKey.Save)
    titles = [a.menu().title() for a in main_window.menuBar().actions() if a.menu()]
    assert titles[0] == "File" and titles[-1] == "Help"


def test_layouts_and_maximise(opened):
    w = opened
    w.actions_by_id["view.layout.vessel"].trigger()
    assert w.slice_views["oblique"].isVisible() and not w.slice_views["sagittal"].isVisible()
    assert w.slice_views["oblique"].image is not None
    w.grid.toggle_maximized("oblique")
    assert w.grid.visible_names() == ["oblique"]
    w.actions_by_id["view.layout.standard"].trigger()
    assert w.slice_views["sagittal"].isVisible()


def test_oblique_and_curved_views(opened, synthetic_case):
    w = opened
    w.actions_by_id["view.layout.vessel"].trigger()
    panel = w.panels["reslice"]
    panel.tilt_lr.setValue(30.0)
    n = w.state.oblique_normal_lps
    assert n @ np.array([0, 0, 1.0]) == pytest.approx(np.cos(np.radians(30)))
    assert w.slice_views["oblique"].image.normal_lps @ n == pytest.approx(1.0)
    # a path along the vessel axis: the curved MPR's centre column is vessel all the way
    c = synthetic_case.index_to_lps(15, 15, 0)
    path = np.array([c + [0, 0, 3], c + [0, 0, 40]])
    w.state.set_curve(path, "drawn path")
    curved = w.slice_views["curved"]
    assert curved.image is not None
    centre = curved.image.pixels[:, int(curved.image.center_col)]
    assert np.all(centre == 350)
    edge = curved.image.pixels[:, 0]
    assert np.all(edge < 350)


def test_settings_remember_recent_cases_and_window(opened, synthetic_case, tmp_path):
    from twindesk.ui.settings import Settings

    s = Settings(tmp_path / "gui.ini")
    assert s.recent_cases()[0] == synthetic_case.path.resolve()
    opened.resize(1000, 700)
    opened.settings.save_window(opened.saveGeometry(), opened.saveState())
    assert Settings(tmp_path / "gui.ini").window_geometry() is not None


def test_centerline_artefact_drives_the_curved_view(main_window, synthetic_case, qtbot):
    from twindesk.model.case import Case

    c = synthetic_case.index_to_lps(15, 15, 0)
    points = [(c + [0, 0, z]).tolist() for z in (3.0, 20.0, 40.0)]
    with Case.open(synthetic_case.path) as case:
        case.put_json("centerline:aorta", {"points_lps_mm": points}, "centerline")
        case.save("test-centerline")
    assert main_window.open_case(synthetic_case.path)
    wait_idle(qtbot, main_window)
    assert main_window.state.curve_source == "centerline:aorta"
    combo = main_window.panels["reslice"].source
    assert combo.currentData() == "aorta"
    main_window.actions_by_id["view.layout.vessel"].trigger()
    curved = main_window.slice_views["curved"].image
    assert curved.pixels.shape[0] == 38  # 37 mm of path at 1 mm steps
    assert np.all(curved.pixels[:, int(curved.center_col)] == 350)
