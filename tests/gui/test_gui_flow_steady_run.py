"""Running the steady 3D flow solve from the Flow panel ("Run steady 3D", mean or peak): it
stores what ``twindesk flow`` stores and shows it; Cancel and "no steady state" leave the case
as it was (the session's synthetic arch, 7,290 tetrahedra, solved by the real command)."""

from __future__ import annotations

import shutil

import pytest

from tests.gui.conftest import wait_idle
from tests.gui.test_gui_flow_steady import _lumen_matches, _stored, add_scan


def _open(window, path, qtbot):
    from PySide6.QtWidgets import QDockWidget

    assert window.open_case(path)
    wait_idle(qtbot, window)
    # Opening reads the synthetic case's short physiology block without changing it.
    assert not window.session.dirty
    panel = window.panels["flow"]
    window.findChild(QDockWidget, "dock_flow").raise_()
    qtbot.waitUntil(lambda: not panel.visibleRegion().isEmpty(), timeout=3000)
    qtbot.wait(50)
    return panel


@pytest.fixture
def solved(main_window, steady_flow_case, tmp_path, qtbot):
    """The arch with the command's mean and peak results, open in the window."""
    path = tmp_path / "arch.twin"
    shutil.copytree(steady_flow_case.path, path)
    add_scan(path)
    return main_window, _open(main_window, path, qtbot), path


@pytest.fixture
def unsolved(main_window, steady_flow_case, tmp_path, qtbot):
    """The arch without any steady result, open in the window."""
    from twindesk.model.case import Case

    path = tmp_path / "arch.twin"
    shutil.copytree(steady_flow_case.path, path)
    add_scan(path)
    with Case.open(path) as case:
        for key in [k for k in case.doc["artifacts"] if k.startswith("result:flow:")]:
            case.remove_artifact(key)
        case.save("test-clear-flow", {})
    return main_window, _open(main_window, path, qtbot), path


def _flow_keys(doc) -> list[str]:
    return sorted(k for k in doc["artifacts"] if k.startswith("result:flow"))


def test_run_steady_peak_stores_what_the_cli_stores_and_shows_it(solved, steady_flow_case,
                                                                   qtbot):
    from PySide6.QtCore import Qt

    from twindesk.model.case import Case

    window, panel, path = solved
    assert panel.result.currentData() == "mean"  # the command's mean result is on show
    with Case.open(path, write=False) as case:
        cli_sha = case.artifact("result:flow:baseline:peak:summary")["sha256"]
        cli_meta = case.artifact("result:flow:baseline:peak")["meta"]
    panel.steady_flow.setCurrentIndex(panel.steady_flow.findData("peak"))
    fractions = []
    window.jobs.job_progress.connect(lambda f, m: fractions.append(f))
    qtbot.mouseClick(panel.steady_button, Qt.MouseButton.LeftButton)
    job = window.jobs.current
    assert job is not None and job.title == "Steady peak 3D flow of 'baseline'"
    assert not window.session.writable              # the case is lent to the job
    wait_idle(qtbot, window, 120000)
    assert job.outcome == "ok", window.errors.history
    assert window.session.writable and fractions and fractions[-1] == pytest.approx(1.0)
    # stored like the command stores it: same keys, same numbers, a new artefact
    cli = steady_flow_case.outputs["peak"]
    grid, summary = _stored(path, "peak")
    assert set(summary) == set(cli) - {"case", "artifact"}
    for name in ("pressure_drop_aorta_mmhg", "pressure_drop_root_mmhg", "inflow_l_min",
                 "peak_velocity_m_s", "inlet_pressure_mmhg"):
        assert summary[name] == pytest.approx(cli[name], rel=1e-9), name
    assert summary["solver"]["iterations"] == cli["solver"]["iterations"]
    assert [o["flow_l_min"] for o in summary["outlets"]] == pytest.approx(
        [o["flow_l_min"] for o in cli["outlets"]], rel=1e-9)
    with Case.open(path, write=False) as case:
        rec = case.artifact("result:flow:baseline:peak")
        # solved again (its timings differ), not the command's summary left in place
        assert case.artifact("result:flow:baseline:peak:summary")["sha256"] != cli_sha
        assert case.artifact("result:flow:baseline:peak:summary")["meta"] == {
            "of": "result:flow:baseline:peak"}
        assert _flow_keys(case.doc) == ["result:flow:baseline:mean",
                                        "result:flow:baseline:mean:summary",
                                        "result:flow:baseline:peak",
                                        "result:flow:baseline:peak:summary"]
    assert set(rec["meta"]) == set(cli_meta)
    assert rec["meta"]["point_data"] == cli_meta["point_data"]
    assert rec["meta"]["pressure_drop_aorta_mmhg"] == pytest.approx(
        cli_meta["pressure_drop_aorta_mmhg"], rel=1e-9)
    # the new result is selected and shown, and the status bar says what came out
    assert panel.result.currentData() == "peak"
    assert f"inflow {summary['inflow_l_min']:.2f} L/min" in panel.summary.text()
    _lumen_matches(window, grid, "pressure_mmhg")
    drop = f"{summary['pressure_drop_aorta_mmhg']:.3g}"
    assert window.statusBar().currentMessage() == (
        f"Steady peak flow of 'baseline': {drop} mmHg along the aorta, "
        f"{summary['solver']['iterations']} iterations")
    assert not window.errors.history


def test_cancel_a_steady_run_leaves_the_case_unchanged(unsolved, qtbot):
    window, panel, path = unsolved
    before = (path / "case.json").read_bytes()
    assert panel.result.count() == 0
    fractions = []
    window.jobs.job_progress.connect(lambda f, m: fractions.append(f))
    # from the Tools menu: the inflow chosen next to the button (mean by default)
    action = window.actions_by_id["flow.run_steady"]
    tools = [a for a in window.menuBar().actions() if a.text().replace("&", "") == "Tools"]
    assert action in tools[0].menu().actions()
    action.trigger()
    job = window.jobs.current
    assert job is not None and window.jobs.busy
    assert job.title == "Steady mean 3D flow of 'baseline'"
    qtbot.waitUntil(lambda: bool(fractions) and fractions[-1] > 0.1, timeout=60000)
    window.jobs.cancel()
    wait_idle(qtbot, window, 10000)   # the child is killed at once, not after the solve
    assert job.outcome == "cancelled" and max(fractions) < 0.9
    assert window.session.writable and not window.session.dirty
    assert _flow_keys(window.session.case.doc) == []
    assert (path / "case.json").read_bytes() == before
    assert panel.result.count() == 0 and not window.errors.history


def test_no_steady_state_is_a_clear_error(unsolved, qtbot, monkeypatch):
    from dataclasses import replace

    from PySide6.QtWidgets import QMessageBox

    from twindesk.sim.flow.steady import NO_STEADY_STATE_HINT
    from twindesk.sim.flow import store

    window, panel, path = unsolved
    before = (path / "case.json").read_bytes()
    solve = store.run_steady
    # one nonlinear iteration cannot reach the tolerance: the real child's SolverError
    monkeypatch.setattr(store, "run_steady", lambda case, params, progress, cancel: solve(
        case, replace(params, max_iterations=1), progress, cancel))
    job = panel.run_steady("peak")
    wait_idle(qtbot, window, 60000)
    assert job.outcome == "failed"
    message, hint = window.errors.history[-1]
    assert "did not converge" in message and hint == NO_STEADY_STATE_HINT
    box = window.errors.open_boxes[-1]
    assert box.icon() == QMessageBox.Icon.Warning        # an input/solver error, not a bug
    assert box.text() == message and "Traceback" not in box.text() + box.informativeText()
    assert window.session.writable and _flow_keys(window.session.case.doc) == []
    assert (path / "case.json").read_bytes() == before
