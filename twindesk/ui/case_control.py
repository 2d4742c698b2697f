"""The window's case lifecycle: open (with crash recovery), load as a job, save, close,
autosave, measurements and undo/redo through the case's command history.

A mixin of :class:`twindesk.ui.main_window.MainWindow` (it uses the window's ``state``,
``jobs``, ``errors``, ``settings`` and ``panels``); kept apart so the window module stays about
building widgets.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from twindesk import __version__
from twindesk.errors import ReadOnlyCaseError, TwindeskError
from twindesk.geometry.rulers import measure
from twindesk.model import annotations, commands
from twindesk.ui.session import CaseSession, load_case_data, load_mask, read_centerlines

AUTOSAVE_DEBOUNCE_MS = 2000     # snapshot shortly after each edit
AUTOSAVE_PERIOD_MS = 30000      # and periodically, as a safety net


class CaseControl:
    """Case lifecycle methods of the main window."""

    # ----------------------------------------------------------- case: open
    def ask(self, title: str, text: str, buttons: tuple[str, ...], default: str) -> str:
        """Ask the user to choose one of ``buttons`` (names of QMessageBox standard
        buttons: "Save", "Discard", "Cancel", "Yes", "No"). Tests replace this method."""
        std = QMessageBox.StandardButton
        flags = std.NoButton
        for b in buttons:
            flags |= getattr(std, b)
        answer = QMessageBox.question(self, title, text, flags, getattr(std, default))
        return next((b for b in buttons if answer == getattr(std, b)), default)

    def open_case_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open case (.twin folder)",
                                                  str(self._last_dir()))
        if folder:
            self.open_case(Path(folder))

    def _last_dir(self) -> Path:
        recent = self.settings.recent_cases()
        return recent[0].parent if recent else Path.home()

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        recent = self.settings.recent_cases()
        for path in recent:
            action = self.recent_menu.addAction(str(path))
            action.triggered.connect(lambda _=False, p=path: self.open_case(p))
        if not recent:
            self.recent_menu.addAction("(none)").setEnabled(False)

    def open_case(self, path: Path, write: bool = True) -> bool:
        """Open a case folder (``write=False``: read-only); False when cancelled or failed."""
        if self.jobs.busy:
            self.errors.report(TwindeskError(f"'{self.jobs.current.title}' is still running",
                                             "wait for it or press Cancel"))
            return False
        if not self.close_case():
            return False
        try:
            session = CaseSession.open(Path(path), write)
        except TwindeskError as exc:
            self.errors.report(exc)
            return False
        try:
            self._offer_recovery(session)
        except TwindeskError as exc:
            self.errors.report(exc)
        self.session = session
        self.settings.add_recent(session.path)
        self._update_title()
        self._update_actions()
        self.jobs.start(f"Opening {session.path.name}", _load_job, session.case,
                        self._case_loaded, on_cancelled=self._load_cancelled)
        return True

    def _offer_recovery(self, session: CaseSession) -> None:
        snap = session.recovery_offer()
        if snap is None or not session.writable:
            return
        answer = self.ask("Recover unsaved work?",
                          f"{session.path.name} was not closed properly. An autosaved state "
                          f"from {snap.saved_utc} (UTC) holds changes that were never saved.\n\n"
                          "Restore it? (You can still discard it by closing without saving.)",
                          ("Yes", "No"), "Yes")
        if answer == "Yes":
            session.recover(snap)
            self.show_status("Autosaved work restored; save to keep it")
        else:
            session.discard_recovery()

    def _load_cancelled(self) -> None:
        self.close_case(ask=False)

    def _case_loaded(self, data) -> None:
        if self.session is None:
            return
        s = self.state
        s.set_volume(data.volume, data.geometry)
        for name, mask in data.layers.items():
            s.set_layer(name, mask)
        self._stored_surfaces = set(data.surfaces)
        self._layer_sha = {name.partition(":")[2]: rec["sha256"] for name, rec in
                           self.session.case.doc["artifacts"].items()
                           if name.startswith("labels:")}
        for name, mesh in data.surfaces.items():
            s.set_surface(name, mesh)
        for name in data.layers:
            self._preview_surface(name)
        self.panels["reslice"].set_centerlines(data.centerlines)
        if data.centerlines:
            name, pts = next(iter(data.centerlines.items()))
            s.set_curve(pts, f"centerline:{name}")
        s.set_measurements(annotations.measurements(self.session.case.doc))
        for panel in self.panels.values():
            panel.case_opened(self.session)
        for warning in data.warnings:
            self.show_status(f"Warning: {warning}", 10000)
        if not self.session.writable:
            self.show_status(f"Opened read-only: {self.session.case.readonly_reason}", 15000)
        self._update_title()

    # ---------------------------------------------------- case: save / close
    def save_case(self) -> bool:
        if self.session is None:
            return False
        try:
            rev = self.session.save("gui-save")
        except TwindeskError as exc:
            self.errors.report(exc)
            return False
        self.show_status(f"Saved revision {rev}")
        self._update_title()
        return True

    def close_case(self, ask: bool = True) -> bool:
        """Close the open case (asking about unsaved work); False if the user cancelled."""
        if self.session is None:
            return True
        if self.jobs.busy:
            self.jobs.shutdown()
        if ask and self.session.dirty and self.session.writable:
            answer = self.ask("Unsaved changes",
                              f"Save the changes to {self.session.path.name}?",
                              ("Save", "Discard", "Cancel"), "Save")
            if answer == "Cancel" or (answer == "Save" and not self.save_case()):
                return False
        for panel in self.panels.values():
            panel.case_closed()
        self.session.close()
        self.session = None
        self.state.set_measurements([])
        self.surface_builder.clear()
        self.state.set_volume(None, None)
        self._update_title()
        self._update_actions()
        return True

    def autosave(self) -> None:
        if self.session is not None:
            try:
                if self.session.autosave():
                    self.show_status("Autosaved", 2000)
            except (OSError, TwindeskError) as exc:
                self.show_status(f"Autosave failed: {exc}", 10000)

    def doc_changed(self) -> None:
        """Panels call this after changing the case document in memory."""
        self._update_title()
        self._update_actions()
        self._autosave_timer.start(AUTOSAVE_DEBOUNCE_MS)

    def _update_title(self) -> None:
        if self.session is None:
            self.setWindowTitle(f"twindesk {__version__}")
            return
        flags = ("*" if self.session.dirty else "") + \
            ("  [read-only]" if not self.session.writable else "")
        self.setWindowTitle(f"{self.session.path.name}{flags} — twindesk {__version__}")

    def _update_actions(self) -> None:
        has = self.session is not None
        writable = has and self.session.writable
        hist = (self.session.case.doc.get("history") or {}) if has else {}
        for aid, on in (("file.save", writable), ("file.close", has),
                        ("edit.undo", writable and bool(hist.get("undo"))),
                        ("edit.redo", writable and bool(hist.get("redo")))):
            if aid in self.actions_by_id:
                self.actions_by_id[aid].setEnabled(on)

    # --------------------------------------------------------- measurements
    def _measurement_done(self, kind: str, points, view: str) -> None:
        if self.session is None:
            return
        try:
            if not self.session.writable:
                raise ReadOnlyCaseError(f"{self.session.path.name} is "
                                        f"{self.session.case.readonly_reason}",
                                        "close it elsewhere and reopen it to add measurements")
            value = measure(kind, points)
            with commands.recording(self.session.case, f"{kind} {value:.1f}",
                                    ["/annotations"]):
                annotations.add_measurement(self.session.case.doc, kind, points, value, view)
        except TwindeskError as exc:
            self.errors.report(exc)
            return
        self.refresh_from_doc()
        unit = "mm" if kind == "distance" else "°"
        self.show_status(f"{kind.capitalize()}: {value:.1f} {unit}")
        self.doc_changed()

    def delete_measurements(self, ids: list[int]) -> None:
        if self.session is None:
            return
        with commands.recording(self.session.case, "delete measurement", ["/annotations"]):
            for mid in ids:
                annotations.remove_measurement(self.session.case.doc, mid)
        self.refresh_from_doc()
        self.doc_changed()

    # ------------------------------------------------------------ undo/redo
    def undo(self) -> None:
        self._undo_redo(commands.undo, "Undid")

    def redo(self) -> None:
        self._undo_redo(commands.redo, "Redid")

    def _undo_redo(self, step, verb: str) -> None:
        if self.session is None:
            return
        try:
            cmd = step(self.session.case)
        except TwindeskError as exc:
            self.errors.report(exc)
            return
        if cmd is None:
            self.show_status(f"Nothing to {'undo' if step is commands.undo else 'redo'}")
            return
        self.refresh_from_doc()
        self.doc_changed()
        self.show_status(f"{verb}: {cmd['label']}")

    def refresh_from_doc(self) -> None:
        """Bring the views in line with the case document (after edits, undo, redo)."""
        if self.session is None:
            return
        case, s = self.session.case, self.state
        s.set_measurements(annotations.measurements(case.doc))
        current = {name.partition(":")[2]: rec["sha256"] for name, rec in
                   case.doc["artifacts"].items() if name.startswith("labels:")}
        for structure in list(s.layers):
            if structure not in current:
                s.remove_layer(structure)
                self._layer_sha.pop(structure, None)
                if structure not in self._stored_surfaces:
                    s.remove_surface(structure)
        for structure, sha in current.items():
            if self._layer_sha.get(structure) != sha:
                try:
                    mask = load_mask(case, f"labels:{structure}", s.geometry)
                except TwindeskError as exc:
                    self.errors.report(exc)
                    continue
                s.set_layer(structure, mask)
                self._layer_sha[structure] = sha
                self._preview_surface(structure)
        self.panels["reslice"].set_centerlines(read_centerlines(case)[0])

    def _preview_surface(self, structure: str) -> None:
        """Show the mask's display surface in 3D (built off the UI thread) unless the case
        stores a surface of its own."""
        if structure not in self._stored_surfaces:
            self.surface_builder.request(structure)


def _load_job(case, progress, cancel):
    return load_case_data(case, progress, cancel)

