"""The aortic root panel on a synthetic vessel (radius 6 mm along z): live annulus after a
hinge drag, the full measurement stored through a job, C-arm curve and sizing."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from tests.gui.conftest import wait_idle

R_MM = 6.0
AXIS_XY = (-5.0, 0.0)
Z_MM = 122.0


def _hinges():
    from twindesk.geometry.annulus import RootFrame

    f = RootFrame(np.array([AXIS_XY[0], AXIS_XY[1], Z_MM]), np.array([0.0, 0.0, 1.0]))
    return {k: f.point(0.0, a, R_MM) for k, a in (("right", 0.0), ("left", 120.0),
                                                   ("non", 240.0))}


def _drag(qtbot, view, start_lps, end_lps) -> None:
    a, b = view.widget_pos_of(start_lps), view.widget_pos_of(end_lps)
    pa, pb = QPoint(round(a.x()), round(a.y())), QPoint(round(b.x()), round(b.y()))
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=pa)
    qtbot.mouseMove(view, pos=(pa + pb) / 2)
    qtbot.mouseMove(view, pos=pb)
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=pb)


def test_drag_a_hinge_then_measure_and_store(opened, qtbot):
    from twindesk.geometry.annulus import hinge_plane
    from twindesk.geometry.measure_job import RESULT_KEY

    w = opened
    panel = w.panels["aortic_root"]
    assert panel.editor is None and "No hinge points" in panel.live_label.text()
    panel.set_hinges(_hinges())
    live = panel.editor.live
    assert live["annulus"]["perimeter_derived_diameter_mm"] == pytest.approx(2 * R_MM, abs=0.6)
    assert panel.carm.plan is not None and panel.carm.plan["patient_position_source"] == \
        "assumed"                                   # the synthetic case has no position
    # drag the right hinge 3 mm up the axis in its long-axis view
    panel.cusp.setCurrentText("right")
    view = panel.long_view
    start = panel.editor.hinges["right"].copy()
    _drag(qtbot, view, start, start + np.array([0.0, 0.0, 3.0]))
    moved = panel.editor.hinges["right"]
    mm_per_px = 2 * view.plane.half_mm / min(view.width(), view.height())
    assert np.linalg.norm(moved - (start + [0, 0, 3.0])) < 2 * mm_per_px
    n = hinge_plane(panel.editor.hinges).normal_lps
    live = panel.editor.live
    assert np.degrees(np.arccos(np.clip(np.dot(live["plane"]["normal_lps"], n), -1, 1))) < 0.5
    assert np.degrees(np.arccos(n[2])) > 5.0         # the plane did tilt
    texts = [panel.table.item(i, 2).text() for i in range(panel.table.rowCount())]
    assert any("live" in t for t in texts)
    # the full measurement (a job in a child process), stored in the open case
    panel.measure_button.click()
    wait_idle(qtbot, w, 180000)
    case = w.session.case
    lm = case.doc["landmarks"]["aortic_root"]
    assert lm["hinges_source"] == "user"
    np.testing.assert_allclose(lm["hinges_lps_mm"]["right"], moved, atol=1e-6)
    assert case.artifact(RESULT_KEY) is not None
    assert case.doc["twin"]["versions"][-1]["kind"] == "measurement"
    assert not w.session.dirty                     # stored and committed
    assert all("live" not in panel.table.item(i, 2).text()
               for i in range(panel.table.rowCount()))
    # a 12 mm annulus fits no transcatheter valve
    assert panel.sizing.rowCount() > 0
    assert "outside every size" in panel.sizing_warnings.text()
    assert panel.carm.plan["views"]["cusp_overlap"]["label"]


def test_hinges_start_at_the_crosshair_in_the_oblique_plane(opened):
    w = opened
    w.state.set_cursor(np.array([AXIS_XY[0], AXIS_XY[1], Z_MM]))
    w.state.set_oblique_normal(np.array([0.0, 0.0, -1.0]))    # flipped: still into the aorta
    panel = w.panels["aortic_root"]
    panel.start_hinges_at_cursor(radius_mm=R_MM)
    h = panel.editor.hinges
    assert all(abs(p[2] - Z_MM) < 1e-9 for p in h.values())
    assert panel.editor.live["plane"]["normal_lps"][2] > 0.999
    assert panel.plane_view.plane is not None and panel.long_view.plane is not None
