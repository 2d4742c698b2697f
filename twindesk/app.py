"""GUI entry point: the QApplication and the main window.

``twindesk`` (no arguments) and ``twindesk gui [CASE]`` end up in :func:`run_gui`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from twindesk import INTENDED_USE, __version__


def application():
    """The process's QApplication (created once)."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setApplicationName("twindesk")
        app.setApplicationVersion(__version__)
        app.setOrganizationName("twindesk")
    return app


def create_window(case: Path | None = None, demo: bool = False):
    """Build the main window and start opening ``case`` (or the demo case)."""
    from twindesk.ui.main_window import MainWindow

    window = MainWindow()
    window.show()
    if case is not None:
        window.open_case(Path(case))
    elif demo:
        window.open_demo()
    return window


def run_gui(case: Path | None = None, demo: bool = False) -> int:
    """Show the main window until the user quits; returns the Qt exit code."""
    app = application()
    window = create_window(case, demo)
    previous_hook = sys.excepthook

    def hook(exc_type, exc, tb):  # an exception in a Qt slot reaches the user once
        if isinstance(exc, KeyboardInterrupt):
            previous_hook(exc_type, exc, tb)
            return
        window.report_exception(exc)

    sys.excepthook = hook
    try:
        sys.stderr.write(f"twindesk {__version__}: {INTENDED_USE}\n")
        return int(app.exec())
    finally:
        sys.excepthook = previous_hook
