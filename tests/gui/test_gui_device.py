"""Device panel on the demo phantom: live fast preview, dragging the valve in a 2D view, the
size comparison, the full model as a child-process job (cancel, then run), and what the
views show (frame in 3D and on the MPR, lumen coloured by contact pressure)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from tests.gui.conftest import wait_idle

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def measured_demo(demo_phantom, tmp_path_factory):
    from tests.unit.tavr.demo_case import measured_demo_case

    return measured_demo_case(demo_phantom, tmp_path_factory.mktemp("gui-device") / "d.twin")


@pytest.fixture
def device_window(main_window, measured_demo, qtbot, tmp_path):
    import shutil

    path = tmp_path / "demo.twin"
    shutil.copytree(measured_demo[0], path)
    assert main_window.open_case(path)
    wait_idle(qtbot, main_window, 120000)
    return main_window, main_window.panels["device"]


def _choose(panel, family_id):
    """Select a family; the panel then selects the size that fits the measured annulus."""
    from twindesk.sim.tavr.place_job import sizes_to_place

    panel.family.setCurrentIndex(panel.family.findData(family_id))
    fitting, _ = sizes_to_place(panel.family_obj, panel.measurement)
    assert panel.size_mm == fitting[0]
    return fitting


def _wait_shown(qtbot, panel, timeout=180000, **pose):
    def ok():
        if panel.shown is None:
            return False
        p = panel.shown[0]
        return all(abs(getattr(p, k) - v) < 1e-6 for k, v in pose.items())
    qtbot.waitUntil(ok, timeout=timeout)


def test_live_preview_and_drag(device_window, qtbot):
    w, panel = device_window
    assert _choose(panel, "se-valve-evolutlike") == [29.0]     # perimeter 74 mm
    panel.request_preview()                       # builds the root surface first (a job)
    _wait_shown(qtbot, panel, depth_mm=4.0, rotation_deg=0.0)
    s = w.state
    assert {"device_frame", "contact_pressure"} <= set(s.surfaces)
    assert s.surfaces["contact_pressure"].meta["scalars"] == "contact_pressure_kpa"
    assert s.surfaces["contact_pressure"].mesh.point_data["contact_pressure_kpa"].max() > 0
    assert not s.surfaces["aorta"].visible if "aorta" in s.surfaces else True
    assert "device_frame" in s.overlays
    assert "fast model" in panel.summary.text() and "VTC" in panel.summary.text()
    # the oblique view shows the annulus plane: the frame's struts cross it
    oblique = w.slice_views["oblique"]
    img = oblique.image
    seg = s.overlays["device_frame"].segments_lps - img.origin_lps_mm
    depth = seg @ img.normal_lps
    assert np.sum(depth[:, 0] * depth[:, 1] < 0) >= 12
    # drag the valve 3 mm toward the aorta in the coronal view with the Device tool
    w.actions_by_id["tool.device"].trigger()
    assert s.tool == "device"
    coronal = w.slice_views["coronal"]
    n = np.asarray(panel.prep.anatomy.annulus_normal_lps)
    c = np.asarray(panel.prep.anatomy.annulus_center_lps_mm)
    s.set_cursor(c)
    x0, y0, _ = coronal.mapping().lps_to_widget(coronal.image, c)
    x1, y1, _ = coronal.mapping().lps_to_widget(coronal.image, c + 3.0 * n)
    a, b = QPoint(round(x0), round(y0)), QPoint(round(x1), round(y1))
    frame_before = s.surfaces["device_frame"].mesh.points.copy()
    qtbot.mousePress(coronal, Qt.MouseButton.LeftButton, pos=a)
    qtbot.mouseMove(coronal, pos=b)
    qtbot.mouseRelease(coronal, Qt.MouseButton.LeftButton, pos=b)
    moved = coronal.lps_at(b.x(), b.y()) - coronal.lps_at(a.x(), a.y())
    expected_depth = 4.0 - float(moved @ n)
    assert panel.depth.value() == pytest.approx(expected_depth, abs=0.051)   # 1 decimal
    # the drawn frame moved rigidly at once, by the depth change along the axis
    shift = (s.surfaces["device_frame"].mesh.points - frame_before) @ n
    assert np.allclose(shift, 4.0 - panel.depth.value(), atol=1e-6)
    # then the fast model recomputes at the new pose
    _wait_shown(qtbot, panel, depth_mm=panel.depth.value())
    assert panel.result["implant_depth_mm"]["value"] == pytest.approx(panel.depth.value(),
                                                                      abs=0.05)


def test_compare_sizes_and_full_model_job(device_window, qtbot):
    from twindesk.model.case import Case

    w, panel = device_window
    panel.live.setChecked(False)
    fitting = _choose(panel, "se-valve-evolutlike")
    size = f"{fitting[0]:g}"
    panel.compare_sizes()                  # root surface job, then the sweep
    qtbot.waitUntil(lambda: panel.table.rowCount() >= 1, timeout=240000)
    wait_idle(qtbot, w, 240000)
    assert panel.table.item(0, 0).text() == size
    assert "[" in panel.table.item(0, 1).text()                 # mean diameter with interval
    assert panel.table.item(0, 9).text() in ("none", "moderate", "severe")
    # the full model as a child-process job: Cancel stops it, nothing stored
    panel.run_full()
    qtbot.waitUntil(lambda: w.jobs.busy, timeout=5000)
    job = w.jobs.current
    qtbot.wait(1500)
    w.jobs.cancel()
    wait_idle(qtbot, w, 30000)
    assert job.outcome == "cancelled"
    placements = w.session.case.doc["placements"]
    assert placements[f"se-valve-evolutlike:{size}"]["model"] == "fast"
    # run it: stored as a full-model placement with intervals, shown, in the table
    panel.run_full()
    wait_idle(qtbot, w, 400000)
    assert not w.errors.history, w.errors.history
    rec = w.session.case.doc["placements"][f"se-valve-evolutlike:{size}"]
    assert rec["model"] == "full" and rec["version"].startswith("v")
    assert panel.result["model"] == "full" and "full model" in panel.summary.text()
    assert panel.result["uncertainty"]["runs"] >= 3
    assert w.save_case()
    with Case.open(w.session.path, write=False) as case:
        assert case.doc["placements"][f"se-valve-evolutlike:{size}"]["model"] == "full"
