"""The workstation window: views, panels, menus from action data, case lifecycle, jobs."""

from __future__ import annotations

import importlib
import traceback
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QDockWidget, QFileDialog, QFrame, QLabel, QMainWindow,
                               QMessageBox, QScrollArea, QTabWidget, QToolBar)

from twindesk import INTENDED_USE, __version__
from twindesk.imaging.window import load_presets
from twindesk.model import annotations
from twindesk.ui.actions import ActionSpec, create_actions, populate_menus, populate_toolbar
from twindesk.ui.case_control import AUTOSAVE_PERIOD_MS, CaseControl
from twindesk.ui.errors import ErrorReporter
from twindesk.ui.jobs import JobBar, JobManager
from twindesk.ui.panels import PANELS
from twindesk.ui.session import CaseSession
from twindesk.ui.settings import Settings
from twindesk.ui.state import ViewerState
from twindesk.ui.surfaces import SurfaceBuilder
from twindesk.ui.view_grid import LAYOUT_TITLES, ViewGrid
from twindesk.ui.views.slice_view import SliceView
from twindesk.ui.views.view3d import View3D


WINDOW_ACTIONS = [
    ActionSpec("file.open", "&Open case…", "open_case_dialog", "File", "Open",
               "SP_DialogOpenButton", toolbar=True, tip="Open a .twin case folder"),
    ActionSpec("file.import", "&Import DICOM folder…", "import_dicom_dialog", "File", "Ctrl+I",
               "SP_DirOpenIcon", toolbar=True, tip="Scan a folder and import a CT series"),
    ActionSpec("file.demo", "Open &demo case", "open_demo", "File",
               tip="Open (and on first use generate) the demo phantom case"),
    ActionSpec("file.save", "&Save", "save_case", "File", "Save", "SP_DialogSaveButton",
               toolbar=True, separator_before=True, tip="Commit changes to the case"),
    ActionSpec("file.close", "&Close case", "close_case", "File", "Ctrl+W"),
    ActionSpec("file.export", "&Export…", "export_dialog", "File", "Ctrl+E",
               separator_before=True,
               tip="Bundle, DICOM SEG, measurements, mesh or volume of the saved case"),
    ActionSpec("file.report", "Planning &report…", "report_dialog", "File", "Ctrl+P",
               tip="Write the planning report (PDF) of the saved case"),
    ActionSpec("file.screenshot", "Save screens&hot…", "screenshot_dialog", "File",
               separator_before=True),
    ActionSpec("file.quit", "&Quit", "close", "File", "Quit", separator_before=True),
    ActionSpec("edit.undo", "&Undo", "undo", "Edit", "Ctrl+Z", "SP_ArrowBack", toolbar=True,
               separator_before=True, tip="Undo the last edit of the case"),
    ActionSpec("edit.redo", "&Redo", "redo", "Edit", "Ctrl+Shift+Z", "SP_ArrowForward",
               toolbar=True, tip="Redo the last undone edit"),
    ActionSpec("view.layout.standard", LAYOUT_TITLES["standard"], "layout_standard",
               "View/Layout", "F5"),
    ActionSpec("view.layout.vessel", LAYOUT_TITLES["vessel"], "layout_vessel", "View/Layout",
               "F6"),
    ActionSpec("view.layout.mpr", LAYOUT_TITLES["mpr"], "layout_mpr", "View/Layout", "F7"),
    ActionSpec("view.reset", "&Reset views", "reset_views", "View", "Ctrl+0",
               "SP_BrowserReload", tip="Re-centre the crosshair, fit zoom, anterior 3D"),
    ActionSpec("view.camera.anterior", "3D from anterior", "camera_anterior", "View/3D camera"),
    ActionSpec("view.camera.left", "3D from left", "camera_left", "View/3D camera"),
    ActionSpec("view.camera.superior", "3D from superior", "camera_superior", "View/3D camera"),
    ActionSpec("tool.navigate", "&Navigate", "tool_navigate", "Tools", "Esc", toolbar=True,
               checkable=True, group="tool", separator_before=True,
               tip="Click or drag to move the crosshair"),
    ActionSpec("tool.ruler", "&Ruler", "tool_ruler", "Tools", "D", toolbar=True,
               checkable=True, group="tool", tip="Distance: click two points"),
    ActionSpec("tool.angle", "&Angle", "tool_angle", "Tools", "A", toolbar=True,
               checkable=True, group="tool", tip="Angle: click three points (vertex second)"),
    ActionSpec("tool.path", "&Path for curved MPR", "tool_path", "Tools", "P",
               checkable=True, group="tool", tip="Click points along a vessel"),
    ActionSpec("help.about", "&About twindesk", "about", "Help"),
]


class MainWindow(CaseControl, QMainWindow):
    """The main window. Open a case with :meth:`open_case`; close with :meth:`close`."""

    def __init__(self, settings: Settings | None = None):
        super().__init__()
        self.setObjectName("main_window")
        self.settings = settings or Settings()
        self.state = ViewerState()
        self.session: CaseSession | None = None
        self.errors = ErrorReporter(self)
        self.import_dialog = None  # the open DICOM import dialog, if any
        self.export_dialog_ = None
        self.pacs_dialog = None
        self._layer_sha: dict[str, str] = {}  # structure → sha256 of the mask shown
        self._stored_surfaces: set[str] = set()  # structures with a surface artefact
        self.jobs = JobManager(self.errors.report, self)
        self.surface_builder = SurfaceBuilder(self.state, self.errors.report, self)
        self._build_views()
        self._build_status_bar()
        self.panels = self._build_panels()
        self._build_actions()
        self._autosave_timer = QTimer(self)
        self._autosave_timer.setSingleShot(True)
        self._autosave_timer.timeout.connect(self.autosave)
        self._autosave_period = QTimer(self)
        self._autosave_period.timeout.connect(self.autosave)
        self._autosave_period.start(AUTOSAVE_PERIOD_MS)
        self.state.measurement_done.connect(self._measurement_done)
        self.state.hover.connect(self._show_hover)
        self.resize(1400, 900)
        geometry, state = self.settings.window_geometry(), self.settings.window_state()
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)
        else:
            self._default_dock_sizes()
        self.apply_window_preset("cta")
        self._update_title()

    # ------------------------------------------------------------- building
    def _build_views(self) -> None:
        s = self.state
        self.slice_views = {k: SliceView(s, k) for k in
                            ("axial", "sagittal", "coronal", "oblique", "curved")}
        self.view3d = View3D(s)
        views = dict(self.slice_views)
        views["3d"] = self.view3d
        self.grid = ViewGrid(views, self)
        for v in self.slice_views.values():
            v.maximize_requested.connect(
                lambda view: self.grid.toggle_maximized(view.kind))
        self.setCentralWidget(self.grid)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.hover_label = QLabel("")
        self.hover_label.setObjectName("hover_label")
        self.hover_label.setMinimumWidth(330)
        self.job_bar = JobBar(self.jobs)
        self.intended_use = QLabel(f"<b>{INTENDED_USE}</b>")
        self.intended_use.setObjectName("intended_use")
        self.intended_use.setStyleSheet("color: #b04000; padding: 0 6px;")
        bar.addPermanentWidget(self.hover_label)
        bar.addPermanentWidget(self.job_bar)
        bar.addPermanentWidget(self.intended_use)

    def _build_panels(self) -> dict:
        panels = {}
        areas = {"left": Qt.DockWidgetArea.LeftDockWidgetArea,
                 "right": Qt.DockWidgetArea.RightDockWidgetArea,
                 "bottom": Qt.DockWidgetArea.BottomDockWidgetArea}
        docks_by_area: dict[str, list[QDockWidget]] = {}
        # side panels run the full height; a bottom panel sits under the views only
        for corner in (Qt.Corner.BottomLeftCorner, Qt.Corner.TopLeftCorner):
            self.setCorner(corner, Qt.DockWidgetArea.LeftDockWidgetArea)
        for corner in (Qt.Corner.BottomRightCorner, Qt.Corner.TopRightCorner):
            self.setCorner(corner, Qt.DockWidgetArea.RightDockWidgetArea)
        for target in PANELS:
            module, _, cls_name = target.partition(":")
            panel = getattr(importlib.import_module(module), cls_name)(self)
            dock = QDockWidget(panel.title, self)
            dock.setObjectName(f"dock_{panel.panel_id}")
            # a panel scrolls inside its dock, so the tallest panel never forces the window
            # taller than the screen (or than a screenshot's --size)
            scroll = QScrollArea()
            scroll.setObjectName(f"scroll_{panel.panel_id}")
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            scroll.setWidget(panel)
            dock.setWidget(scroll)
            self.addDockWidget(areas[panel.area], dock)
            siblings = docks_by_area.setdefault(panel.area, [])
            if siblings:
                self.tabifyDockWidget(siblings[0], dock)
            siblings.append(dock)
            panels[panel.panel_id] = panel
        for docks in docks_by_area.values():
            docks[0].raise_()
        # many tabbed panels: vertical tabs on the outer edge keep their names readable
        self.setTabPosition(Qt.DockWidgetArea.RightDockWidgetArea, QTabWidget.TabPosition.East)
        self.setTabPosition(Qt.DockWidgetArea.LeftDockWidgetArea, QTabWidget.TabPosition.West)
        self._docks_by_area = docks_by_area
        return panels

    def _default_dock_sizes(self) -> None:
        """First start (no saved layout): the views get most of the window; the side panels
        about a third of its width, the bottom panel a quarter of its height."""
        right = self._docks_by_area.get("right", [])
        bottom = self._docks_by_area.get("bottom", [])
        if right:
            self.resizeDocks([right[0]], [min(520, int(self.width() * 0.36))],
                             Qt.Orientation.Horizontal)
        if bottom:
            self.resizeDocks([bottom[0]], [max(180, self.height() // 4)],
                             Qt.Orientation.Vertical)

    def _window_specs(self) -> list[ActionSpec]:
        presets = [ActionSpec(f"view.window.{p.id}", f"Window: {p.name}", f"_preset_{p.id}",
                              "View/Window preset", p.shortcut) for p in load_presets()]
        for p in load_presets():
            setattr(self, f"_preset_{p.id}", lambda pid=p.id: self.apply_window_preset(pid))
        at = next(i for i, a in enumerate(WINDOW_ACTIONS) if a.id == "view.reset") + 1
        return WINDOW_ACTIONS[:at] + presets + WINDOW_ACTIONS[at:]

    def _build_actions(self) -> None:
        self.actions_by_id = {}
        groups: dict = {}
        specs_by_owner = [(self, self._window_specs())] + \
            [(p, p.action_specs()) for p in self.panels.values()]
        for owner, specs in specs_by_owner:
            self.actions_by_id.update(create_actions(owner, specs, self, groups))
        menubar = self.menuBar()
        toolbar = QToolBar("Main", self)
        toolbar.setObjectName("main_toolbar")
        self.addToolBar(toolbar)
        self.menus = populate_menus(menubar, [s for _o, specs in specs_by_owner for s in specs],
                                    self.actions_by_id)
        for _owner, specs in specs_by_owner:
            populate_toolbar(toolbar, specs, self.actions_by_id)
        file_menu = self.menus["File"]
        self.recent_menu = file_menu.addMenu("Open &recent")
        file_menu.insertMenu(self.actions_by_id["file.demo"], self.recent_menu)
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self.actions_by_id["tool.navigate"].setChecked(True)
        self.state.tool_changed.connect(self._sync_tool_actions)
        self._update_actions()

    # ---------------------------------------------------------------- tools
    def set_tool(self, tool: str) -> None:
        self.state.set_tool(tool)

    def _sync_tool_actions(self, tool: str) -> None:
        action = self.actions_by_id.get(f"tool.{tool}") or self.actions_by_id.get(f"seg.{tool}")
        if action is not None and not action.isChecked():
            action.setChecked(True)
        elif action is None:
            for a in self.actions_by_id.values():
                if a.actionGroup() is not None and a.isChecked():
                    a.actionGroup().setExclusive(False)
                    a.setChecked(False)
                    a.actionGroup().setExclusive(True)

    def tool_navigate(self, on: bool) -> None:
        if on:
            self.set_tool("navigate")

    def tool_ruler(self, on: bool) -> None:
        if on:
            self.set_tool("ruler")

    def tool_angle(self, on: bool) -> None:
        if on:
            self.set_tool("angle")

    def tool_path(self, on: bool) -> None:
        if on:
            self.set_tool("path")

    # ---------------------------------------------------------------- views
    def layout_standard(self) -> None:
        self.grid.set_layout("standard")

    def layout_vessel(self) -> None:
        self.grid.set_layout("vessel")

    def layout_mpr(self) -> None:
        self.grid.set_layout("mpr")

    def reset_views(self) -> None:
        if self.state.geometry is not None:
            self.state.set_cursor(self.state.geometry.center_lps())
        for v in self.slice_views.values():
            v.zoom, v.center_mm = 1.0, None
            v.update()
        self.view3d.reset_camera("oblique")

    def camera_anterior(self) -> None:
        self.view3d.reset_camera("anterior")

    def camera_left(self) -> None:
        self.view3d.reset_camera("left")

    def camera_superior(self) -> None:
        self.view3d.reset_camera("superior")

    def apply_window_preset(self, preset_id: str) -> None:
        preset = next(p for p in load_presets() if p.id == preset_id)
        self.state.set_window(preset.width_hu, preset.level_hu)

    def _show_hover(self, lps, value) -> None:
        if lps is None:
            self.hover_label.setText("")
            return
        hu = "outside" if value is None else f"{value:.0f} HU"
        self.hover_label.setText(f"LPS ({lps[0]:.1f}, {lps[1]:.1f}, {lps[2]:.1f}) mm   {hu}")

    def show_status(self, text: str, ms: int = 5000) -> None:
        self.statusBar().showMessage(text, ms)

    # ------------------------------------------------------------ dialogs
    def import_dicom_dialog(self) -> None:
        from twindesk.ui.dialogs.import_dialog import run_import_dialog

        run_import_dialog(self)

    def open_demo(self) -> None:
        from twindesk.ui.demo import open_demo

        open_demo(self)

    def export_dialog(self) -> None:
        from twindesk.ui.dialogs.export_dialog import run_export_dialog

        run_export_dialog(self)

    def report_dialog(self, out: Path | None = None) -> None:
        from twindesk.ui.dialogs.report_action import run_report

        run_report(self, out)

    def open_external(self, path: Path) -> None:
        """Open a file (a PDF) with the desktop's viewer. Tests replace this method."""
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    def screenshot_dialog(self) -> None:
        out, _ = QFileDialog.getSaveFileName(self, "Save screenshot", str(Path.home() /
                                             "twindesk.png"), "PNG image (*.png)")
        if out:
            self.view3d.render_now()
            self.grab().save(out)
            self.show_status(f"Saved {out}")

    def about(self) -> None:
        box = QMessageBox(self)
        box.setObjectName("about_box")
        box.setWindowTitle("About twindesk")
        box.setText(f"<h3>twindesk {__version__}</h3><p>Offline workstation for cardiac "
                    f"digital twins.</p><p><b>{INTENDED_USE}</b></p>"
                    "<p>Apache License 2.0. Every number is a model estimate; the clinical "
                    "decision stays with the heart team.</p>")
        box.open()

    # --------------------------------------------------------------- close
    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        if not self.close_case():
            event.ignore()
            return
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop jobs, panels' own work (receiver, live view) and timers, save window state,
        release the 3D renderer."""
        for panel in self.panels.values():
            panel.shutdown()
        self.jobs.shutdown()
        self.surface_builder.clear()
        self.surface_builder.wait()
        self._autosave_timer.stop()
        self._autosave_period.stop()
        self.errors.close_all()
        self.settings.save_window(self.saveGeometry(), self.saveState())
        self.view3d.close_plotter()

    def report_exception(self, exc: BaseException) -> None:
        self.errors.report(exc, "".join(traceback.format_exception(exc)))
