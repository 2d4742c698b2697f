"""``twindesk gui CASE`` opens the window on the case and returns when it is closed."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication


def test_gui_command_opens_case_and_closes(synthetic_case, run_cli, qapp):
    from twindesk.ui.main_window import MainWindow

    seen = {}

    def poll():
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
        if windows and windows[0].state.has_volume and not windows[0].jobs.busy:
            w = windows[0]
            seen["title"] = w.windowTitle()
            seen["status"] = w.intended_use.text()
            w.close()
            w.deleteLater()
            timer.stop()

    timer = QTimer()
    timer.timeout.connect(poll)
    timer.start(50)
    r = run_cli("gui", synthetic_case.path, "--json")
    assert r.code == 0, r.err
    assert r.json == {"case": str(synthetic_case.path), "exit_code": 0}
    assert seen["title"].startswith("synthetic.twin")
    assert "not for diagnosis" in seen["status"]


def test_gui_refuses_without_display(run_cli, monkeypatch, synthetic_case):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    r = run_cli("gui", synthetic_case.path)
    assert r.code == 2 and "no display" in r.err and "screenshot" in r.err
