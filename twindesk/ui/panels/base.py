"""Panels plug into the main window as dock widgets.

A panel is a :class:`Panel` subclass listed (as ``"module:Class"``) in
:data:`twindesk.ui.panels.PANELS`. The window creates it with the window as context, puts it in
a dock, adds its :meth:`action_specs` to the menus/toolbar, and calls :meth:`case_opened` /
:meth:`case_closed`. A panel's logic lives in Qt-free core functions; the panel only turns
clicks into calls and results into widgets, and starts long work through
``window.jobs.start(...)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from twindesk.ui.actions import ActionSpec

if TYPE_CHECKING:
    from twindesk.ui.main_window import MainWindow


class Panel(QWidget):
    """Base class of dockable panels."""

    panel_id = "panel"
    title = "Panel"
    area = "right"  # "left" | "right" | "bottom"

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window_ = window
        self.state = window.state
        self.setObjectName(f"panel_{self.panel_id}")

    def writable_session(self, purpose: str = "edit"):
        """The open case's session, writable; raises :class:`TwindeskError` saying why not
        (no case open, or read-only: opened elsewhere or a job holds it)."""
        from twindesk.errors import TwindeskError

        session = self.window_.session
        if session is None or not self.state.has_volume:
            raise TwindeskError("no case is open", "open or import a case first")
        if not session.writable:
            raise TwindeskError(f"{session.path.name} is {session.case.readonly_reason}",
                                f"close it elsewhere and reopen it to {purpose}")
        return session

    def action_specs(self) -> list[ActionSpec]:
        """Actions this panel adds (callbacks are this panel's methods)."""
        return []

    def case_opened(self, session) -> None:
        """A case was opened (``session`` is the window's :class:`CaseSession`)."""

    def case_closed(self) -> None:
        """The case was closed."""

    def shutdown(self) -> None:
        """The window closes: stop anything the panel runs (servers, timers)."""

    def case_committed(self) -> None:
        """A core function committed the open case (e.g. a twin action): show its state."""

    def doc_refreshed(self) -> None:
        """The case document changed (an edit, undo or redo): show what it holds now."""
