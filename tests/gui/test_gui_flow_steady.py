"""Flow panel with steady 3D flow results (``twindesk flow``): listed among what it can show,
and the chosen one colours the lumen with the stored field (the session's synthetic arch,
solved by the real command at mean and peak flow)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from tests.gui.conftest import wait_idle


def add_scan(path, spacing_mm: float = 1.5) -> None:
    """Give the arch case the CT the window needs: soft tissue around the flow mesh, the
    lumen (voxel centres inside the mesh) at contrast-enhanced blood's 350 HU."""
    import pyvista as pv
    import SimpleITK as sitk

    from twindesk.io.volume import geometry_of, write_case_volume
    from twindesk.model.case import Case

    with Case.open(path) as case:
        mesh = pv.read(str(case.artifact_path("mesh:aorta")))
        lo = np.asarray(mesh.bounds[::2]) - 15.0
        size = np.ceil((np.asarray(mesh.bounds[1::2]) + 15.0 - lo) / spacing_mm).astype(int) + 1
        box = pv.ImageData(dimensions=size, spacing=(spacing_mm,) * 3, origin=lo)
        inside = np.asarray(box.sample(mesh).point_data["vtkValidPointMask"]) > 0
        hu = np.where(inside, 350, 40).astype(np.int16).reshape(size[::-1])  # [k, j, i]
        img = sitk.GetImageFromArray(hu)
        img.SetSpacing((spacing_mm,) * 3)
        img.SetOrigin(tuple(float(v) for v in lo))
        case.put_artifact("volume", lambda p: write_case_volume(img, p), ".mha", "volume")
        case.doc["image"] = {**geometry_of(img), "modality": "CT"}
        case.save("test-scan", {})


@pytest.fixture
def steady_window(main_window, steady_flow_case, tmp_path, qtbot):
    from PySide6.QtWidgets import QDockWidget

    path = tmp_path / "arch.twin"
    shutil.copytree(steady_flow_case.path, path)
    add_scan(path)
    assert main_window.open_case(path)
    wait_idle(qtbot, main_window)
    panel = main_window.panels["flow"]
    main_window.findChild(QDockWidget, "dock_flow").raise_()
    qtbot.waitUntil(lambda: not panel.visibleRegion().isEmpty(), timeout=3000)
    qtbot.wait(50)
    return main_window, panel, path


def _stored(path, flow):
    """The stored VTU of a result, read independently of the panel, and its summary."""
    import pyvista as pv

    from twindesk.model.case import Case

    with Case.open(path, write=False) as case:
        grid = pv.read(str(case.artifact_path(f"result:flow:baseline:{flow}")))
        summary = case.read_json(f"result:flow:baseline:{flow}:summary")
    return grid, summary


def _lumen_matches(window, grid, array):
    """The lumen's colour values are the stored field at the same points."""
    from scipy.spatial import cKDTree

    from twindesk.ui.flow_display import LUMEN

    surf = window.state.surfaces[LUMEN]
    dist, idx = cKDTree(np.asarray(grid.points)).query(np.asarray(surf.mesh.points))
    assert dist.max() < 1e-6  # the lumen's points are the mesh's wall points
    stored = np.asarray(grid.point_data[array])[idx]
    stored = np.linalg.norm(stored, axis=1) if stored.ndim == 2 else stored
    values = np.asarray(surf.mesh.point_data["value"])
    assert np.ptp(values) > 0
    np.testing.assert_allclose(values, stored, rtol=1e-6, atol=1e-12)
    return surf


def test_steady_results_are_listed_and_shown(steady_window, qtbot):
    from twindesk.ui.flow_display import LINES

    window, panel, path = steady_window
    assert panel.selected_name() == "baseline"
    rows = {panel.table.item(r, 0).text(): panel.table.item(r, 5).text()
            for r in range(panel.table.rowCount())}
    assert rows == {"baseline": "mean, peak"}
    assert [panel.result.itemText(i) for i in range(panel.result.count())] == [
        "baseline – steady mean flow", "baseline – steady peak flow"]
    assert [panel.field.itemData(i) for i in range(panel.field.count())] == [
        "steady_pressure", "steady_velocity", "steady_wss"]
    grid, summary = _stored(path, "mean")
    surf = _lumen_matches(window, grid, "pressure_mmhg")
    assert surf.meta["scalar_title"] == "p (mmHg)"
    assert window.state.field_layer is not None             # the 2D views are coloured too
    assert window.state.surfaces[LINES].mesh.n_points > 50  # streamlines from the inlet
    text = panel.summary.text()
    assert f"inflow {summary['inflow_l_min']:.2f} L/min" in text
    assert f"{summary['solver']['iterations']} nonlinear iterations" in text
    assert "converged" in text and "nan" not in text.lower()
    panel.field.setCurrentIndex(panel.field.findData("steady_wss"))
    _lumen_matches(window, grid, "wss_pa")
    panel.field.setCurrentIndex(panel.field.findData("steady_velocity"))
    _lumen_matches(window, grid, "velocity_m_s")
    # the peak-flow result: its own field (the same quantity stays chosen) and numbers
    panel.result.setCurrentIndex(1)
    grid_peak, summary_peak = _stored(path, "peak")
    assert panel.field.currentData() == "steady_velocity"
    _lumen_matches(window, grid_peak, "velocity_m_s")
    assert f"inflow {summary_peak['inflow_l_min']:.2f} L/min" in panel.summary.text()
    assert summary_peak["inflow_l_min"] > 3 * summary["inflow_l_min"]
