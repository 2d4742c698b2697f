"""Flow panel: scenario list, colour maps on the lumen and the MPR section, waveforms,
jobs (0D run, 3D run started and cancelled with its child process), pre/post comparison.

The case is the GUI's synthetic CT with the pulsatile tests' small tube mesh (171 points)
moved into the scan, and two scenarios computed cheaply (16 steps, 2 cycles, in process)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from tests.gui.conftest import make_volume, wait_idle, write_case
from tests.unit.sim.conftest import LENGTH_MM, RADIUS_MM, tube_mesh

OFFSET_MM = np.array([4.0, 4.5, 95.0])   # tube axis at x=4, y=4.5, z 95..155 (scan z 100..146)
RUN = dict(steps_per_cycle=16, max_cycles=2, min_cycles=2)


@pytest.fixture(scope="module")
def flow_case_dir(tmp_path_factory):
    from twindesk.io.flow_mesh import put_flow_mesh
    from twindesk.model.case import Case
    from twindesk.sim.lumped.jobs import simulate_case
    from twindesk.sim.pulsatile.case_job import PulsatileCaseParams
    from twindesk.sim.pulsatile.store import run_pulsatile
    from twindesk.sim.scenarios.define import ScenarioSpec, add_scenario

    path = tmp_path_factory.mktemp("flow") / "flow.twin"
    write_case(path, make_volume()[0])
    mesh, region, regions = tube_mesh()
    for r in regions:
        r["center_lps_mm"] = list(np.asarray(r["center_lps_mm"]) + OFFSET_MM)
    s = np.linspace(0.0, LENGTH_MM, 61)
    with Case.open(path) as case:
        put_flow_mesh(case, "aorta", mesh.points_mm + OFFSET_MM, mesh.tets, mesh.boundary_tris,
                      region, regions)
        case.put_json("centerline:aorta", {
            "points_lps_mm": (np.c_[np.zeros_like(s), np.zeros_like(s), s] + OFFSET_MM).tolist(),
            "arc_length_mm": s.tolist(), "radius_mm": [RADIUS_MM] * len(s),
            "diameter_area_mm": [2 * RADIUS_MM] * len(s),
            "diameter_min_mm": [2 * RADIUS_MM] * len(s),
            "diameter_max_mm": [2 * RADIUS_MM] * len(s),
            "tangent_lps": [[0.0, 0.0, 1.0]] * len(s)}, "centerline")
        case.save("test-setup", {})
        add_scenario(case, ScenarioSpec("fast", hr_bpm=95.0))
        add_scenario(case, ScenarioSpec("narrow", narrow=("20-40:30",)))
        simulate_case(case, "baseline")
        for name in ("baseline", "fast"):
            run_pulsatile(case, PulsatileCaseParams("", name, **RUN), in_process=True)
    return path


@pytest.fixture
def flow_window(main_window, flow_case_dir, tmp_path, qtbot):
    path = tmp_path / "flow.twin"
    shutil.copytree(flow_case_dir, path)
    assert main_window.open_case(path)
    wait_idle(qtbot, main_window)
    panel = main_window.panels["flow"]
    # the panel draws into the 3D view only once it is on screen
    assert panel.selected_name() == "baseline"
    assert "flow:lumen" not in main_window.state.surfaces
    _raise_flow(main_window, qtbot)
    assert "flow:lumen" in main_window.state.surfaces
    return main_window, panel


def _raise_flow(window, qtbot):
    from PySide6.QtWidgets import QDockWidget

    window.findChild(QDockWidget, "dock_flow").raise_()
    qtbot.waitUntil(lambda: not window.panels["flow"].visibleRegion().isEmpty(), timeout=3000)
    qtbot.wait(50)


def _slice_z(window) -> float:
    g = window.state.geometry
    return float(g.index_to_lps(np.rint(g.lps_to_index(window.state.cursor_lps)))[2])


def _select(panel, name):
    names = [s["name"] for s in panel.items]
    panel.table.selectRow(names.index(name))
    assert panel.selected_name() == name


def test_scenario_list_fields_and_waveforms(flow_window, qtbot):
    from twindesk.ui.flow_display import LINES, LUMEN, SECTION

    window, panel = flow_window
    rows = {panel.table.item(r, 0).text(): [panel.table.item(r, c).text() for c in range(5)]
            for r in range(panel.table.rowCount())}
    assert set(rows) == {"baseline", "fast", "narrow"}
    assert rows["baseline"][1:3] == ["yes", "yes"]
    assert rows["fast"][1:] == ["—", "yes", "baseline", "heart_rate_bpm 95"]
    assert rows["narrow"][2] == "—" and rows["narrow"][4] == "20-40 +30 %"
    assert panel.selected_name() == "baseline"     # the first with a 3D result
    assert not window.view3d.show_slices          # the lumen, not the scan planes
    for field in ("pressure", "velocity", "wss", "tawss"):
        panel.field.setCurrentIndex(panel.field.findData(field))
        surf = window.state.surfaces[LUMEN]
        values = np.asarray(surf.mesh.point_data["value"])
        assert surf.meta["scalars"] == "value" and len(values) == surf.mesh.n_points > 100
        assert np.all(np.isfinite(values)) and np.ptp(values) > 0, field
        lo, hi = surf.meta["clim"]
        assert np.isfinite(lo) and np.isfinite(hi) and hi > lo
        assert "nan" not in panel.summary.text().lower()
    # TAWSS on the wall of a tube with ~5 L/min: Poiseuille mean 4µQ/(πR³) ≈ 0.2 Pa
    assert 0.02 < np.median(values) < 2.0
    # the axial section where the axial view shows the scan (the voxel slice nearest the
    # crosshair): a disc of the tube's radius
    sec = window.state.surfaces[SECTION].mesh
    assert np.allclose(sec.points[:, 2], _slice_z(window), atol=1e-6)
    r = np.linalg.norm(sec.points[:, :2] - OFFSET_MM[:2], axis=1)
    assert r.max() == pytest.approx(RADIUS_MM, rel=0.05)
    assert SECTION in window.state.overlays       # its outline on the 2D views
    window.state.set_cursor(window.state.cursor_lps + [0, 0, 6.0])
    qtbot.waitUntil(lambda: np.allclose(window.state.surfaces[SECTION].mesh.points[:, 2],
                                        _slice_z(window)), timeout=3000)
    assert window.state.surfaces[SECTION].mesh.points[0, 2] > OFFSET_MM[2] + 30
    # streamlines run down the tube from the inlet
    lines = window.state.surfaces[LINES].mesh
    assert lines.n_points > 50 and lines.points[:, 2].max() > OFFSET_MM[2] + 40
    panel.lines.setChecked(False)
    assert LINES not in window.state.surfaces
    # waveforms: pressure and flow at the inlet and both outlets over the last cycle
    ax_p, ax_q = panel.figure.axes[:2]
    assert len(ax_p.lines) == 3 and len(ax_q.lines) == 3
    p = ax_p.lines[0].get_ydata()
    assert len(p) == 16 and np.all(np.isfinite(p)) and 40 < p.mean() < 160
    # a scenario without a 3D result: a clear message, nothing coloured
    _select(panel, "narrow")
    assert LUMEN not in window.state.surfaces and "Nothing computed yet" in panel.summary.text()
    assert window.view3d.show_slices              # the MPR planes are back in 3D
    assert not panel.figure.axes[0].lines


def _grab(view) -> np.ndarray:
    """The view as rendered on screen: (height, width, 3) uint8 RGB."""
    from PySide6.QtGui import QImage

    img = view.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    arr = np.frombuffer(img.constBits(), np.uint8, img.bytesPerLine() * img.height())
    return arr.reshape(img.height(), img.bytesPerLine())[:, :3 * img.width()] \
        .reshape(img.height(), img.width(), 3).astype(int)


def _ring_pixels(view, r_lo_mm, r_hi_mm, n=240):
    """Widget pixels (x, y) of points at radii in [r_lo, r_hi) mm around the tube's axis on
    the axial view's slice, at least 3 px from the crosshair lines."""
    rng = np.random.default_rng(3)
    r = np.sqrt(rng.uniform(r_lo_mm ** 2, r_hi_mm ** 2, n))
    th = rng.uniform(0, 2 * np.pi, n)
    z = _slice_z(view.window())
    pts = np.c_[OFFSET_MM[0] + r * np.cos(th), OFFSET_MM[1] + r * np.sin(th), np.full(n, z)]
    m = view.mapping()
    xy = np.array([m.lps_to_widget(view.image, q)[:2] for q in pts])
    cx, cy, _ = m.lps_to_widget(view.image, view.state.cursor_lps)
    keep = (np.abs(xy[:, 0] - cx) > 3) & (np.abs(xy[:, 1] - cy) > 3)
    return np.rint(xy[keep]).astype(int)


def _colourfulness(view, xy) -> np.ndarray:
    """max − min of the RGB channels at widget pixels ``xy``: 0 on a grey pixel."""
    rgb = _grab(view)[xy[:, 1], xy[:, 0]]
    return rgb.max(axis=1) - rgb.min(axis=1)


def test_field_colours_the_2d_views(flow_window, qtbot):
    """The chosen field is painted in colour on the axial view inside the tube's section
    (and only there), changes with the field and the slice, and goes with the display."""
    window, panel = flow_window
    view = window.slice_views["axial"]
    assert window.state.field_layer is not None
    panel.field.setCurrentIndex(panel.field.findData("velocity"))
    qtbot.wait(50)
    inside = _ring_pixels(view, 0.0, 0.75 * RADIUS_MM)
    outside = _ring_pixels(view, RADIUS_MM + 3.0, RADIUS_MM + 8.0)
    assert len(inside) > 100 and len(outside) > 100
    # viridis over the CT at 70 % opacity: clearly coloured; the scan around it stays grey
    vel = _colourfulness(view, inside)
    assert np.mean(vel > 40) > 0.95, np.percentile(vel, [5, 50])
    assert np.all(_colourfulness(view, outside) <= 2)
    rgb_velocity = _grab(view)[inside[:, 1], inside[:, 0]]
    # the coronal and sagittal views are coloured too (both cut the tube along its axis)
    for kind in ("coronal", "sagittal"):
        other = window.slice_views[kind]
        assert other._field() is not None
        assert (other._field()[..., 3] > 0).sum() > 200, kind
    # another field: other colours (pressure in coolwarm)
    panel.field.setCurrentIndex(panel.field.findData("pressure"))
    qtbot.wait(50)
    rgb_pressure = _grab(view)[inside[:, 1], inside[:, 0]]
    assert np.abs(rgb_pressure - rgb_velocity).max(axis=1).mean() > 30
    # another slice: sampled again there (the crosshair 6 mm up)
    key = view._field_key
    window.state.set_cursor(window.state.cursor_lps + [0, 0, 6.0])
    qtbot.wait(50)
    view.grab()
    assert view._field_key is not key and view._field() is not None
    # a scenario without a 3D result clears the display: grey again
    _select(panel, "narrow")
    qtbot.wait(50)
    assert window.state.field_layer is None
    assert np.all(_colourfulness(view, _ring_pixels(view, 0.0, 0.75 * RADIUS_MM)) <= 2)


def test_run_0d_and_cancel_a_3d_run(flow_window, qtbot):
    window, panel = flow_window
    _select(panel, "narrow")
    panel.run_0d()
    wait_idle(qtbot, window)
    assert window.jobs.current.outcome == "ok"
    row = [s for s in panel.items if s["name"] == "narrow"][0]
    assert row["results"]["0d"] and "0D model" in panel.summary.text()
    panel.steps.setValue(16)
    panel.cycles.setValue(2)
    assert not panel.resume.isEnabled()
    fractions = []
    window.jobs.job_progress.connect(lambda f, m: fractions.append(f))
    job = panel.run_3d()
    assert job is not None and window.jobs.busy
    assert not window.session.writable              # the case is lent to the job
    # cancel in the second cycle: the first cycle's checkpoint is kept in the case
    qtbot.waitUntil(lambda: bool(fractions) and fractions[-1] > 0.55, timeout=90000)
    window.jobs.cancel()
    wait_idle(qtbot, window)
    assert job.outcome == "cancelled"
    assert window.session.writable and "narrow" not in (window.session.case.doc.get("pulsatile")
                                                         or {})
    row = [r for r in range(panel.table.rowCount()) if panel.table.item(r, 0).text() == "narrow"]
    assert panel.table.item(row[0], 2).text() == "checkpoint (cycle 1)"
    assert panel.resume.isEnabled() and panel.resume.isChecked()
    assert "checkpoint at cycle 1" in panel.summary.text()
    # resume: the run continues from the checkpoint and its result is shown
    job = panel.run_3d()
    wait_idle(qtbot, window, 120000)
    assert job.outcome == "ok"
    rec = window.session.case.doc["pulsatile"]["narrow"]
    assert rec["summary"]["cycles"]["completed"] == 2
    assert panel.table.item(row[0], 2).text() == "yes" and not panel.resume.isEnabled()
    from twindesk.ui.flow_display import LUMEN
    assert np.all(np.isfinite(window.state.surfaces[LUMEN].mesh.point_data["value"]))


def test_add_scenario_and_compare(flow_window, qtbot):
    from twindesk.sim.scenarios.define import ScenarioSpec

    window, panel = flow_window
    assert panel.add_scenario(ScenarioSpec("low-co", co_l_min=3.5)) is not None
    assert panel.selected_name() == "low-co"
    row = panel.table.selectedIndexes()[0].row()
    assert panel.table.item(row, 0).text() == "low-co"
    assert panel.table.item(row, 4).text() == "cardiac_output_l_min → 3.5"
    panel.compare_a.setCurrentText("baseline")
    panel.compare_b.setCurrentText("fast")
    assert panel.compare() is not None
    wait_idle(qtbot, window, 120000)
    dialog = panel.compare_dialog
    assert dialog is not None and dialog.figure.pixmap() is not None
    assert not dialog.figure.pixmap().isNull()
    quantities = [r[0] for r in dialog.rows]
    assert "0D Heart rate" in quantities and "3D Echo: Peak velocity" in quantities
    hr = dialog.rows[quantities.index("0D Heart rate")]
    assert hr[1].startswith("70") and hr[2].startswith("95") and "nan" not in str(dialog.rows)


def test_missing_flow_mesh_is_explained(main_window, synthetic_case, qtbot):
    assert main_window.open_case(synthetic_case.path)
    wait_idle(qtbot, main_window)
    panel = main_window.panels["flow"]
    _raise_flow(main_window, qtbot)
    assert [s["name"] for s in panel.items] == ["baseline"]
    assert "Nothing computed yet" in panel.summary.text()
    reported = []
    main_window.errors.report = lambda exc, *a: reported.append(exc)
    assert panel.run_3d() is None and not main_window.jobs.busy
    assert "flow mesh" in reported[0].message and "aorta mask" in reported[0].message
