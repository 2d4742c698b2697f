"""The one path by which errors reach the user in the GUI: a dialog with the core's message,
its hint, and the details (traceback) folded away.

Dialogs are shown with ``open()`` (window-modal, non-blocking), so a job finishing or a test
driving the window never hangs on them.
"""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from twindesk.errors import Cancelled, TwindeskError


def describe(exc: BaseException) -> tuple[str, str, bool]:
    """(message, what-to-do, is_internal) for an exception."""
    if isinstance(exc, TwindeskError):
        return exc.message, exc.hint or "", False
    return (f"Internal error: {type(exc).__name__}: {exc}",
            "Please report this to the developers with the details below.", True)


class ErrorReporter:
    """Shows each error once. ``history`` keeps (message, hint) for tests and logs."""

    def __init__(self, parent: QWidget):
        self.parent = parent
        self.history: list[tuple[str, str]] = []
        self.open_boxes: list[QMessageBox] = []

    def report(self, exc: BaseException, details: str = "") -> QMessageBox | None:
        if isinstance(exc, Cancelled):
            return None
        message, hint, internal = describe(exc)
        self.history.append((message, hint))
        box = QMessageBox(self.parent)
        box.setObjectName("error_dialog")
        box.setIcon(QMessageBox.Icon.Critical if internal else QMessageBox.Icon.Warning)
        box.setWindowTitle("twindesk")
        box.setText(message)
        if hint:
            box.setInformativeText(f"What to do: {hint}")
        full = f"{message}\n{('What to do: ' + hint) if hint else ''}\n\n{details}".strip()
        box.setDetailedText(full)
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        box.finished.connect(lambda _r, b=box: self._forget(b))
        self.open_boxes.append(box)
        box.open()
        return box

    def _forget(self, box: QMessageBox) -> None:
        if box in self.open_boxes:
            self.open_boxes.remove(box)
        box.deleteLater()

    def close_all(self) -> None:
        for box in list(self.open_boxes):
            box.done(0)
