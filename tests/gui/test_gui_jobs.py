"""Jobs run off the UI thread: progress in the status bar, Cancel stops them promptly (in a
thread or a child process) and the case is left unchanged; errors reach one dialog."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from twindesk.errors import InputError
from tests.gui.conftest import wait_idle


def stepping_job(n_steps, progress, cancel):
    for i in range(n_steps):
        progress(i / n_steps, f"step {i}")
        cancel.check()
        time.sleep(0.02)
    return n_steps


def blocking_job(seconds, progress, cancel):
    """Never checks cancel: like a sparse direct solve inside a library call."""
    progress(0.1, "solving")
    time.sleep(seconds)
    return "finished"


def failing_job(params, progress, cancel):
    raise InputError("series 1.2.3: slices have different orientations",
                     "choose another series")


def _cancel_and_time(window, qtbot, child: bool, fn, params):
    results = []
    job = window.jobs.start("test job", fn, params, results.append, child=child)
    qtbot.waitUntil(lambda: window.job_bar.isVisible() and window.job_bar.bar.value() > 0,
                    timeout=30000)
    t0 = time.monotonic()
    qtbot.mouseClick(window.job_bar.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: job.done, timeout=10000)
    return job, results, time.monotonic() - t0


def test_cancel_thread_job_promptly_case_unchanged(opened, synthetic_case, qtbot):
    before = (synthetic_case.path / "case.json").read_bytes()
    job, results, dt = _cancel_and_time(opened, qtbot, False, stepping_job, 10_000)
    # the job would run 200 s; the bound leaves room for a machine shared by many processes
    assert job.outcome == "cancelled" and results == [] and dt < 3.0
    qtbot.waitUntil(lambda: not opened.job_bar.isVisible(), timeout=2000)
    assert (synthetic_case.path / "case.json").read_bytes() == before
    assert opened.errors.history == []   # cancelling is not an error


def test_cancel_child_process_job_inside_a_blocking_call(opened, synthetic_case, qtbot):
    before = (synthetic_case.path / "case.json").read_bytes()
    job, results, dt = _cancel_and_time(opened, qtbot, True, blocking_job, 120.0)
    assert job.outcome == "cancelled" and results == [] and dt < 5.0  # vs a 120 s call
    assert (synthetic_case.path / "case.json").read_bytes() == before


def test_job_result_and_error_reach_the_ui_thread(main_window, qtbot):
    results = []
    main_window.jobs.start("ok", stepping_job, 3, results.append)
    wait_idle(qtbot, main_window)
    assert results == [3]
    main_window.jobs.start("bad", failing_job, None, results.append)
    wait_idle(qtbot, main_window)
    assert main_window.errors.history == [("series 1.2.3: slices have different orientations",
                                           "choose another series")]
    box = main_window.findChild(QMessageBox, "error_dialog")
    assert box.isVisible() and "choose another series" in box.informativeText()
    main_window.errors.close_all()


def test_one_job_at_a_time(main_window, qtbot):
    main_window.jobs.start("long", stepping_job, 10_000)
    main_window.open_case(main_window.settings.path.parent)  # refused while busy
    assert "still running" in main_window.errors.history[-1][0]
    assert main_window.jobs.start("second", stepping_job, 3) is None
    assert main_window.errors.history[-1][0] == "'long' is still running"
    main_window.jobs.cancel()
    wait_idle(qtbot, main_window)
    main_window.errors.close_all()
