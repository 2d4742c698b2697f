"""Headless renders of a case for documentation, reports and checks.

``render_case`` builds the same widgets the window uses, at a fixed size, waits for the case
to load, and saves a PNG. User settings are not touched (a throw-away settings file).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from twindesk.errors import TwindeskError

LOAD_TIMEOUT_S = 300.0


def close_application() -> None:
    """Destroy the QApplication (a CLI process that started its own X server)."""
    import shiboken6
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is not None:
        app.processEvents()
        shiboken6.delete(app)


def wait_for_jobs(window, timeout_s: float = LOAD_TIMEOUT_S) -> None:
    """Process events until the window's job is done (raises on timeout)."""
    from PySide6.QtWidgets import QApplication

    t0 = time.monotonic()
    while window.jobs.busy:
        QApplication.processEvents()
        time.sleep(0.005)
        if time.monotonic() - t0 > timeout_s:
            raise TwindeskError(f"loading did not finish within {timeout_s:.0f} s",
                                "check the case with 'twindesk info'")
    QApplication.processEvents()


def grab_widget(widget, size: tuple[int, int]):
    """Show ``widget`` at ``size``, render, and return its QImage (3D views included)."""
    from PySide6.QtWidgets import QApplication, QWidget

    from twindesk.ui.views.view3d import View3D

    widget.resize(*size)
    widget.show()
    for _ in range(5):
        QApplication.processEvents()
    # isinstance, not hasattr: hasattr on a VTK render-window widget goes through its
    # __getattr__ into the VTK interactor (a full-suite run once crashed in this loop)
    for view in [widget, *widget.findChildren(QWidget)]:
        if isinstance(view, View3D):
            view.render_now()
    QApplication.processEvents()
    return widget.grab().toImage()


def mpr_strip(state):
    """A widget with the axial, coronal and sagittal views side by side."""
    from PySide6.QtWidgets import QHBoxLayout, QWidget

    from twindesk.ui.views.slice_view import SliceView

    strip = QWidget()
    layout = QHBoxLayout(strip)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    for kind in ("axial", "coronal", "sagittal"):
        layout.addWidget(SliceView(state, kind, strip))
    return strip


def render_case(case: Path, view: str, out: Path, size: tuple[int, int],
                preset: str = "cta") -> dict:
    """Render ``view`` ("mpr", "3d" or "window") of ``case`` to the PNG ``out``."""
    from PySide6.QtWidgets import QApplication

    from twindesk.app import application
    from twindesk.ui.main_window import MainWindow
    from twindesk.ui.settings import Settings

    application()
    with tempfile.TemporaryDirectory() as tmp:
        window = MainWindow(Settings(Path(tmp) / "screenshot.ini"))
        try:
            window.resize(*size)
            window.show()
            if not window.open_case(Path(case), write=False):
                raise TwindeskError(window.errors.history[-1][0] if window.errors.history
                                    else f"cannot open {case}", "check the case with "
                                    "'twindesk info'")
            wait_for_jobs(window)
            window.surface_builder.wait()
            QApplication.processEvents()  # deliver the surfaces built off the UI thread
            if window.errors.history:
                message, hint = window.errors.history[-1]
                raise TwindeskError(message, hint or None)
            window.apply_window_preset(preset)
            if view == "window":
                image = grab_widget(window, size)
            elif view == "mpr":
                strip = mpr_strip(window.state)
                image = grab_widget(strip, size)
                strip.close()
            else:
                from twindesk.ui.views.view3d import View3D

                v3 = View3D(window.state)
                # surfaces when the case has any (the MPR planes would hide them)
                v3.show_slices = not window.state.surfaces
                v3.resize(*size)
                v3.show()
                v3._volume_changed()
                v3._update_surfaces()
                image = grab_widget(v3, size)
                v3.close_plotter()
                v3.close()
            if not image.save(str(out)):
                raise TwindeskError(f"{out}: cannot write the PNG", "check the folder is writable")
            return {"width": image.width(), "height": image.height()}
        finally:
            window.close_case(ask=False)
            window.shutdown()
            window.close()
            window.deleteLater()
