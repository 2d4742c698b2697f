"""Device panel: place a TAVR valve in the measured root and read its mechanics and risks.

Family and size, implant depth and rotation (spin boxes; or drag with the Device tool in a
2D view — along the axis for depth, in the en-face annulus view for rotation — or drag the
gold handle on the frame's reference crown in 3D). The fast model follows every change live
(a preview without intervals, run off the UI thread; the last deformed frame moves rigidly
while a new one is computed); **Run full model** deploys with the full beam model and the
intervals as a job in a child process (progress and Cancel in the status bar);
**Compare sizes** runs every fitting size (fast model, intervals) the same way. Results
are stored in the case like ``twindesk place`` (artefacts, ``placements`` index, twin
version). The deformed frame is drawn in 3D and on the MPR; the root lumen is coloured by
contact pressure; the table lists the stored results of the family by size.

The logic is Qt-free: :mod:`twindesk.sim.tavr.planner`, :mod:`twindesk.sim.tavr.place_job`,
:mod:`twindesk.sim.tavr.deploy_job`.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout,
                               QLabel, QPushButton, QTableWidget, QTableWidgetItem,
                               QVBoxLayout)

from twindesk.errors import TwindeskError
from twindesk.jobs import CancelToken
from twindesk.sim.tavr import planner
from twindesk.sim.tavr.planner import Pose
from twindesk.ui.actions import ActionSpec
from twindesk.ui.panels.base import Panel

PREVIEW_DEBOUNCE_MS = 300
FRAME_COLOR = (0, 230, 255)
HIDDEN_WITH_DEVICE = ("aorta", "lv", "bloodpool", "aortic_root")


class _Signals(QObject):
    finished = Signal(int, object)          # request number, outcome or exception


class _Preview(QRunnable):
    def __init__(self, number: int, params, cancel: CancelToken, signals: _Signals):
        super().__init__()
        self.number, self.params, self.cancel, self.signals = number, params, cancel, signals

    def run(self) -> None:
        from twindesk.sim.tavr import deploy_job   # scipy: ~1 s, not before the first preview

        try:
            result = deploy_job.run(self.params, None, self.cancel)
        except BaseException as exc:  # noqa: BLE001 - handed to the UI thread
            result = exc
        self.signals.finished.emit(self.number, result)


class PreviewRunner(QObject):
    """Fast-model previews off the UI thread; the latest request wins (an older running
    one is cancelled, and at most one waits)."""

    ready = Signal(object, object)           # params, outcome
    failed = Signal(object)                  # exception

    def __init__(self, parent=None):
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._signals = _Signals()
        self._signals.finished.connect(self._finished)
        self._number = 0
        self._running: tuple[int, CancelToken, object] | None = None
        self._pending = None

    @property
    def busy(self) -> bool:
        return self._running is not None

    def request(self, params) -> None:
        self._number += 1
        if self._running is not None:
            self._running[1].cancel()
            self._pending = params
            return
        self._start(params)

    def _start(self, params) -> None:
        token = CancelToken()
        self._running = (self._number, token, params)
        self.pool.start(_Preview(self._number, params, token, self._signals))

    def _finished(self, number: int, result) -> None:
        params = self._running[2] if self._running else None
        self._running = None
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self._start(pending)
            return
        if number != self._number:
            return
        from twindesk.errors import Cancelled

        if isinstance(result, Cancelled):
            return
        if isinstance(result, BaseException):
            self.failed.emit(result)
        else:
            self.ready.emit(params, result)

    def shutdown(self) -> None:
        self._pending = None
        if self._running is not None:
            self._running[1].cancel()
        self.pool.waitForDone(30000)


class DevicePanel(Panel):
    panel_id = "device"
    title = "Device"
    area = "right"

    def __init__(self, window):
        super().__init__(window)
        from twindesk.model.devices import load_library

        self.library = load_library()
        self.families = [f for f in self.library.families if f.is_tavr]
        self.prep = None                 # place_job.Prepared once the root is ready
        self.measurement = None          # the case's result:measure:root
        self.shown = None                # (pose, DeployOutcome) drawn now
        self.result = None               # its result dict
        self._drag_start = None          # (pose, lps) of a drag in progress
        self._pending_action = None      # what to do once the root surface is ready
        self._hidden_done = False
        self._hidden: set[str] = set()
        self.preview = PreviewRunner(self)
        self.preview.ready.connect(self._preview_ready)
        self.preview.failed.connect(self._preview_failed)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(PREVIEW_DEBOUNCE_MS)
        self._debounce.timeout.connect(self.request_preview)
        self._build()
        self.state.device_drag.connect(self._drag)
        self.state.surfaces_changed.connect(self._surfaces_changed)

    # ------------------------------------------------------------------ widgets
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.family = QComboBox()
        self.family.setObjectName("device_family")
        for f in self.families:
            self.family.addItem(f.name, f.id)
        self.size = QComboBox()
        self.size.setObjectName("device_size")
        self.depth = QDoubleSpinBox()
        self.depth.setObjectName("device_depth")
        self.depth.setRange(*planner.DEPTH_RANGE_MM)
        self.depth.setSingleStep(0.5)
        self.depth.setDecimals(1)
        self.depth.setSuffix(" mm")
        self.depth.setToolTip("Implant depth below the annulus on the non-coronary side, "
                              "positive into the LVOT")
        self.rotation = QDoubleSpinBox()
        self.rotation.setObjectName("device_rotation")
        self.rotation.setRange(-180.0, 180.0)
        self.rotation.setSingleStep(5.0)
        self.rotation.setDecimals(0)
        self.rotation.setWrapping(True)
        self.rotation.setSuffix(" °")
        form.addRow("Device", self.family)
        form.addRow("Size", self.size)
        form.addRow("Depth", self.depth)
        form.addRow("Rotation", self.rotation)
        layout.addLayout(form)
        self.rotation_note = QLabel("")
        self.rotation_note.setWordWrap(True)
        self.rotation_note.setStyleSheet("color: #888;")
        layout.addWidget(self.rotation_note)
        row = QHBoxLayout()
        self.live = QCheckBox("Fast model live")
        self.live.setObjectName("device_live")
        self.live.setChecked(True)
        self.drag_button = QPushButton("Drag")
        self.drag_button.setObjectName("device_drag")
        self.drag_button.setToolTip("Device tool: drag in a 2D view (along the axis: depth; "
                                    "en-face annulus view: rotation) or the gold 3D handle")
        self.drag_button.clicked.connect(lambda: self.window_.set_tool("device"))
        row.addWidget(self.live)
        row.addWidget(self.drag_button)
        layout.addLayout(row)
        row = QHBoxLayout()
        self.full_button = QPushButton("Run full model")
        self.full_button.setObjectName("device_full")
        self.full_button.clicked.connect(self.run_full)
        self.compare_button = QPushButton("Compare sizes")
        self.compare_button.setObjectName("device_compare")
        self.compare_button.clicked.connect(self.compare_sizes)
        row.addWidget(self.full_button)
        row.addWidget(self.compare_button)
        layout.addLayout(row)
        self.summary = QLabel("Open a case with the aortic root measured and the aorta "
                              "and LV segmented.")
        self.summary.setObjectName("device_summary")
        self.summary.setWordWrap(True)
        self.summary.setMinimumHeight(110)
        layout.addWidget(self.summary)
        self.table = QTableWidget(0, len(planner.TABLE_HEADER))
        self.table.setObjectName("device_table")
        self.table.setHorizontalHeaderLabels(list(planner.TABLE_HEADER))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.cellDoubleClicked.connect(self._table_clicked)
        layout.addWidget(self.table, 1)
        self.family.currentIndexChanged.connect(self._family_changed)
        self.size.currentIndexChanged.connect(self._pose_changed)
        self.depth.valueChanged.connect(self._pose_changed)
        self.rotation.valueChanged.connect(self._pose_changed)
        self._family_changed()

    def action_specs(self) -> list[ActionSpec]:
        return [
            ActionSpec("tool.device", "&Device tool", "tool_device", "Device", "V",
                       checkable=True, group="tool", toolbar=True, separator_before=True,
                       tip="Drag the valve: along the axis for depth, en-face for rotation"),
            ActionSpec("device.full", "Run &full model", "run_full", "Device",
                       tip="Deploy with the full beam model (a job with intervals)"),
            ActionSpec("device.compare", "&Compare sizes", "compare_sizes", "Device",
                       tip="Every fitting size with the fast model and intervals"),
        ]

    def tool_device(self, on: bool) -> None:
        if on:
            self.window_.set_tool("device")

    # ------------------------------------------------------------------ state
    @property
    def family_obj(self):
        return self.families[max(self.family.currentIndex(), 0)]

    @property
    def size_mm(self) -> float | None:
        data = self.size.currentData()
        return None if data is None else float(data)

    @property
    def pose(self) -> Pose:
        return Pose(self.depth.value(), self.rotation.value())

    def set_pose(self, pose: Pose, preview: bool = True) -> None:
        """Set the spin boxes without triggering a preview per box."""
        for box, value in ((self.depth, pose.depth_mm), (self.rotation, pose.rotation_deg)):
            box.blockSignals(True)
            box.setValue(value)
            box.blockSignals(False)
        if preview:
            self._pose_changed()

    def _hide_lumen_surfaces(self) -> None:
        """Hide the segmentation surfaces that enclose the valve, once each (they may still
        be on their way from the surface builder; the Layers panel shows them again)."""
        for name in HIDDEN_WITH_DEVICE:
            if name in self.state.surfaces and name not in self._hidden:
                self._hidden.add(name)
                self.state.set_surface_visible(name, False)

    def _surfaces_changed(self) -> None:
        if self._hidden_done:
            self._hide_lumen_surfaces()

    def _family_changed(self, *_args) -> None:
        self._family_changed_quiet()
        self._pose_changed()

    def _family_changed_quiet(self) -> None:
        fam = self.family_obj
        self.size.blockSignals(True)
        self.size.clear()
        for s in fam.sizes_mm:
            self.size.addItem(f"{s:g} mm", s)
        self.size.blockSignals(False)
        self.rotation_note.setText(f"Rotation 0: {fam.orientation.rotation_zero_feature} on "
                                   "the left-right commissure; depth default "
                                   f"{fam.placement.default_depth_mm:g} mm")
        self.set_pose(Pose(fam.placement.default_depth_mm, 0.0), preview=False)
        if self.prep is not None:
            self.prep = replace(self.prep, family=fam)
        self._select_fitting_size()
        self._fill_table()

    def _select_fitting_size(self) -> None:
        if self.measurement is None:
            return
        sizes, _ = planner_sizes(self.family_obj, self.measurement)
        if sizes:
            idx = self.size.findData(sizes[0])
            if idx >= 0:
                self.size.blockSignals(True)
                self.size.setCurrentIndex(idx)
                self.size.blockSignals(False)

    # ------------------------------------------------------------ case life
    def case_opened(self, session) -> None:
        self.prep, self.shown, self.result, self.measurement = None, None, None, None
        self._hidden_done, self._hidden = False, set()
        self.table.setRowCount(0)
        case = session.case
        from twindesk.sim.tavr.anatomy import MEASURE_KEY

        if case.artifact(MEASURE_KEY) is None:
            self.summary.setText("Measure the aortic root first (twindesk measure): the "
                                 "placement needs the annulus plane, commissures and ostia.")
            return
        try:
            self.measurement = case.read_json(MEASURE_KEY)
        except TwindeskError as exc:
            self.window_.errors.report(exc)
            return
        self._select_fitting_size()
        self._fill_table()
        self.summary.setText("Press Run full model, Compare sizes or change the pose to place "
                             "the valve (the root surface is built on first use).")
        self._show_latest(case)

    def _show_latest(self, case) -> None:
        """Show the case's most recent stored placement (pose, frame, pressure, numbers)."""
        rec = planner.latest_placement(case)
        if rec is None:
            return
        try:
            outcome = planner.stored_outcome(case, rec)
        except (TwindeskError, KeyError, ValueError, OSError) as exc:
            self.window_.show_status(f"Stored placement not shown: {exc}", 8000)
            return
        idx = self.family.findData(rec["device"])
        if idx < 0:
            return
        self.family.blockSignals(True)
        self.family.setCurrentIndex(idx)
        self.family.blockSignals(False)
        self._family_changed_quiet()
        self.size.blockSignals(True)
        self.size.setCurrentIndex(max(self.size.findData(float(rec["size_mm"])), 0))
        self.size.blockSignals(False)
        pose = Pose(float(rec["depth_mm"]), float(rec["rotation_deg"]))
        self.set_pose(pose, preview=False)
        self._fill_table()
        self._show(pose, outcome, outcome.result)
        plane = self.measurement["plane"]       # look at the valve: annulus en face
        self.state.set_oblique_normal(plane["normal_lps"])
        self.state.set_cursor(plane["center_lps_mm"])

    def case_closed(self) -> None:
        self.preview.shutdown()
        self._debounce.stop()
        self.prep, self.shown, self.result, self.measurement = None, None, None, None
        self.window_.view3d.clear_handle()
        for name in ("device_frame", "contact_pressure"):
            self.state.remove_surface(name)
        self.state.remove_overlay("device_frame")
        self.table.setRowCount(0)

    def _session(self):
        session = self.window_.session
        if session is None:
            raise TwindeskError("no case is open", "open a case first")
        return session

    def ensure_prepared(self, then=None) -> bool:
        """True when the root is ready; otherwise build it (a job) and run ``then`` after."""
        if self.prep is not None:
            return True
        from twindesk.sim.tavr import anatomy, tissue

        try:
            case = self._session().case
            a = anatomy.from_case(case)
            stored, args, meta = tissue.surface_request(case, a.annulus_center_lps_mm,
                                                        a.annulus_normal_lps)
        except TwindeskError as exc:
            self.window_.errors.report(exc)
            return False
        if stored is not None:
            self._prepared(case, a, stored, meta)
            return True
        self._pending_action = then
        self.window_.jobs.start("Building the root surface", planner_build_surface, args,
                                lambda poly: self._surface_built(a, poly, meta))
        return False

    def _surface_built(self, a, poly, meta) -> None:
        from twindesk.sim.tavr import tissue

        case = self._session().case
        rec = tissue.store_surface(case, poly, meta)
        self.window_.doc_changed()
        self._prepared(case, a, poly, rec)
        action, self._pending_action = self._pending_action, None
        if action is not None:
            action()

    def _prepared(self, case, a, poly, rec) -> None:
        from twindesk.sim.tavr.place_job import prepared

        self.prep = prepared(case, self.library, self.family_obj, a, poly, rec)
        # the oblique view shows the annulus plane en face (drag there to rotate)
        self.state.set_oblique_normal(a.annulus_normal_lps)
        self.state.set_cursor(a.annulus_center_lps_mm)
        self._fill_table()

    # --------------------------------------------------------------- posing
    def _params(self, model: str, uncertainty: bool, size_mm: float | None = None):
        from twindesk.sim.tavr.place_job import deploy_params

        pose = self.pose
        return deploy_params(self.prep, size_mm or self.size_mm, pose.depth_mm,
                             pose.rotation_deg, model, uncertainty)

    def _pose_changed(self, *_args) -> None:
        if self.shown is not None and self.prep is not None:
            self._show_rigid(self.pose)
        if self.live.isChecked() and self.window_.session is not None:
            self._debounce.start()

    def request_preview(self) -> None:
        """Run the fast model (no intervals) at the current pose, off the UI thread."""
        if self.window_.session is None or self.size_mm is None:
            return
        if not self.ensure_prepared(then=self.request_preview):
            return
        try:
            params = self._params("fast", False)
        except TwindeskError as exc:
            self.window_.errors.report(exc)
            return
        self.window_.show_status("Fast model running…", 3000)
        self.preview.request(params)

    def _preview_ready(self, params, outcome) -> None:
        if self.prep is None:
            return
        pose = Pose(params.depth_mm, params.rotation_deg)
        record = self._record(params, outcome)
        self._show(pose, outcome, record)
        self.window_.show_status(f"Fast model: {outcome.result['deploy_seconds']:.1f} s", 4000)

    def _preview_failed(self, exc) -> None:
        self.window_.show_status(f"Fast model: {getattr(exc, 'message', exc)}", 8000)

    def _record(self, params, outcome) -> dict:
        from twindesk.sim.tavr.place_job import record_of

        return record_of(params, self.prep, outcome, "user")

    # ---------------------------------------------------------------- drags
    def _drag(self, lps, normal, phase: str) -> None:
        if self.prep is None:
            if phase == "begin":
                self.ensure_prepared(then=self.request_preview)
            return
        if phase == "begin":
            self._drag_start = (self.pose, np.asarray(lps, float))
            return
        if self._drag_start is None:
            return
        start, p0 = self._drag_start
        self.set_pose(planner.pose_after_drag(self.prep.anatomy, start, p0, lps, normal),
                      preview=False)
        pose = self.pose                    # as the spin boxes round it
        if self.shown is not None:
            self._show_rigid(pose)
        if phase == "end":
            self._drag_start = None
            if self.live.isChecked():
                self.request_preview()
        elif self.live.isChecked():
            self._debounce.start()

    def _handle_moved(self, center) -> None:
        if self.prep is None or self.shown is None:
            return
        outcome = self.shown[1]
        old = planner.handle_point(self.prep.anatomy, self._rigid_points(self.pose),
                                   outcome.frame_level, self.pose)
        pose = planner.pose_from_handle(self.prep.anatomy, self.pose, old, center)
        self.set_pose(pose)

    # ---------------------------------------------------------------- views
    def _rigid_points(self, pose: Pose) -> np.ndarray:
        old_pose, outcome = self.shown
        return planner.rigid_preview(self.prep.anatomy, outcome.frame_points_lps_mm, old_pose,
                                     pose)

    def _frame_mesh(self, points: np.ndarray, outcome):
        import pyvista as pv

        lines = np.column_stack([np.full(len(outcome.frame_lines), 2),
                                 outcome.frame_lines]).ravel()
        return pv.PolyData(points, lines=lines)

    def _show_rigid(self, pose: Pose) -> None:
        pts = self._rigid_points(pose)
        outcome = self.shown[1]
        self.state.set_surface("device_frame", self._frame_mesh(pts, outcome), FRAME_COLOR,
                               meta={"line_width": 3})
        self.state.set_overlay("device_frame", planner.frame_segments(pts, outcome.frame_lines),
                               FRAME_COLOR)
        self.window_.view3d.set_handle(
            planner.handle_point(self.prep.anatomy, pts, outcome.frame_level, pose),
            self._handle_moved)

    def _show(self, pose: Pose, outcome, record: dict) -> None:
        """Draw a deployed frame, the pressure map and the numbers."""
        import pyvista as pv

        self.shown, self.result = (pose, outcome), record
        faces = np.column_stack([np.full(len(outcome.tissue_faces), 3),
                                 outcome.tissue_faces]).ravel()
        tissue = pv.PolyData(outcome.tissue_points_lps_mm, faces=faces)
        p = outcome.contact_pressure_kpa
        tissue.point_data["contact_pressure_kpa"] = p
        top = float(np.percentile(p[p > 0], 99)) if np.any(p > 0) else 1.0
        # pale where there is no contact, red where the frame presses; see-through so the
        # frame inside the lumen stays visible
        self.state.set_surface("contact_pressure", tissue, meta={
            "scalars": "contact_pressure_kpa", "cmap": "YlOrRd", "clim": [0.0, top],
            "scalar_title": "Contact pressure kPa", "opacity": 0.7})
        self.state.set_surface("device_frame", self._frame_mesh(outcome.frame_points_lps_mm,
                                                                outcome),
                               FRAME_COLOR, meta={"line_width": 3})
        self.state.set_overlay("device_frame",
                               planner.frame_segments(outcome.frame_points_lps_mm,
                                                      outcome.frame_lines), FRAME_COLOR)
        if not self._hidden_done:         # the lumen surfaces would hide the frame
            self._hidden_done = True
            self._hide_lumen_surfaces()
            self.window_.view3d.set_slices_visible(False)
            self.window_.view3d.reset_camera()  # frame the device, not the whole scan
        if self.prep is not None:
            handle = planner.handle_point(self.prep.anatomy, outcome.frame_points_lps_mm,
                                          outcome.frame_level, pose)
            self.window_.view3d.set_handle(handle, self._handle_moved)
        self.summary.setText(planner.summary_text(record))

    # ------------------------------------------------------------------ jobs
    def run_full(self) -> None:
        """Deploy the current size and pose with the full model and intervals (a job in a
        child process); store the result."""
        from twindesk.sim.tavr import deploy_job

        if self.window_.session is None:
            return
        if not self.ensure_prepared(then=self.run_full):
            return
        try:
            params = self._params("full", True)
        except TwindeskError as exc:
            self.window_.errors.report(exc)
            return
        self.window_.jobs.start(f"Full model: {self.family_obj.name} {self.size_mm:g} mm",
                                deploy_job.run, params,
                                lambda out: self._store_and_show(params, out), child=True)

    def compare_sizes(self) -> None:
        """Every fitting size (fast model, intervals) as a job; results go to the table."""
        from twindesk.sim.tavr import deploy_job

        if self.window_.session is None:
            return
        if not self.ensure_prepared(then=self.compare_sizes):
            return
        sizes, _ = planner_sizes(self.family_obj, self.prep.measurement)
        try:
            sweep = deploy_job.SweepParams(tuple(self._params("fast", True, s) for s in sizes))
        except TwindeskError as exc:
            self.window_.errors.report(exc)
            return
        self._failures = {}
        self.window_.jobs.start(f"Comparing {len(sizes)} sizes", deploy_job.run_sweep, sweep,
                                lambda out: self._sweep_done(sweep, out), child=True)

    def _store(self, params, outcome) -> dict:
        from twindesk.sim.tavr.place_job import commit

        record = self._record(params, outcome)
        session = self._session()
        if session.writable:
            commit(session.case, record, outcome)
            self.window_.doc_changed()
        return record

    def _store_and_show(self, params, outcome) -> None:
        record = self._store(params, outcome)
        self._show(Pose(params.depth_mm, params.rotation_deg), outcome, record)
        self._fill_table()
        self.window_.show_status(f"Stored {record.get('artifacts', {}).get('frame', '')} "
                                 f"({record['model']} model)", 8000)

    def _sweep_done(self, sweep, results) -> None:
        self._failures = {}
        shown = False
        for params, (size, outcome) in zip(sweep.deployments, results):
            if isinstance(outcome, str):
                self._failures[size] = outcome
                continue
            record = self._store(params, outcome)
            if size == self.size_mm and not shown:
                self._show(Pose(params.depth_mm, params.rotation_deg), outcome, record)
                shown = True
        self._fill_table()

    # ----------------------------------------------------------------- table
    def _fill_table(self) -> None:
        session = self.window_.session
        if session is None:
            self.table.setRowCount(0)
            return
        stored = planner.stored_results(session.case, self.family_obj.id)
        rows = {**{s: planner.table_row(s, r) for s, r in stored.items()},
                **{s: planner.table_row(s, m) for s, m in getattr(self, "_failures",
                                                                   {}).items()}}
        self.table.setRowCount(len(rows))
        for r, size in enumerate(sorted(rows)):
            for c, text in enumerate(rows[size]):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()

    def _table_clicked(self, row: int, _col: int) -> None:
        item = self.table.item(row, 0)
        if item is not None:
            idx = self.size.findData(float(item.text()))
            if idx >= 0:
                self.size.setCurrentIndex(idx)


def planner_sizes(family, measurement):
    from twindesk.sim.tavr.place_job import sizes_to_place

    return sizes_to_place(family, measurement)


def planner_build_surface(args, progress, cancel):
    """Job: build the open root surface (plain VTK work, off the UI thread)."""
    from twindesk.sim.tavr.tissue import build_root_surface

    progress(0.1, "extracting the lumen surface")
    return build_root_surface(*args)
