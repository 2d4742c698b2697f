"""Aortic root panel: TAVR planning measurements.

Two double-oblique views (the annulus plane, and the long axis through one hinge) with the
three hinge points draggable; each drop measures the annulus, LVOT and coronary heights again
(:class:`twindesk.geometry.root_editor.RootEditor`, well under a second) and updates the
measurement table, the C-arm curve and the sizing. *Measure* runs the full measurement
(:mod:`twindesk.geometry.measure_job`, a job in a child process; automatic hinges when the
case has none) and stores it in the case (landmarks as an undoable command, results, a twin
version). The logic is all Qt-free; this module turns it into widgets.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QPushButton, QTableWidget,
                               QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget)

from twindesk.errors import TwindeskError
from twindesk.geometry.annulus import CUSPS
from twindesk.geometry.measure_job import RESULT_KEY
from twindesk.geometry.root_editor import RootEditor, annulus_view, long_axis_view
from twindesk.geometry.root_table import root_rows
from twindesk.ui.actions import ActionSpec
from twindesk.ui.job_functions import MeasureJobParams, measure_job
from twindesk.ui.panels.base import Panel
from twindesk.ui.views.root_view import CUSP_COLORS, CarmPlot, RootPlaneView

CONTOUR = QColor(230, 40, 40)
OSTIUM = QColor(230, 60, 230)
LIVE_KEYS = ("annulus", "lvot", "coronary_heights", "plane", "fluoroscopy")
#: Table rows (:func:`twindesk.geometry.root_table.root_rows`) that the live values replace.
LIVE_ROW_PREFIXES = ("annulus ", "LVOT ", "left coronary height", "right coronary height")


def _value(x) -> float | None:
    return x["value"] if isinstance(x, dict) else x


def merged_result(full: dict | None, live: dict | None) -> dict | None:
    """The full result with the live (edited-hinge) annulus, LVOT, coronary heights, plane
    and C-arm plan replacing its own; None when neither exists."""
    if full is None and live is None:
        return None
    out = dict(full or {})
    if live is not None:
        out.update({k: live[k] for k in LIVE_KEYS if k in live})
        out["hinges_source"] = "user (edited, not stored)"
    return out


def table_rows(full: dict | None, live: dict | None) -> list[tuple[str, str, str]]:
    """(quantity, value, interval) rows: stored values with their intervals; values of
    the edited hinges say "live" instead of an interval until *Measure* stores them."""
    res = merged_result(full, live)
    if res is None:
        return []
    out = []
    for r in root_rows(res):
        unit = r["unit"]
        from_live = live is not None and r["quantity"].startswith(LIVE_ROW_PREFIXES)
        iv = "live (press Measure)" if from_live else "—" if r["low"] is None else \
            f"{r['low']:.1f} – {r['high']:.1f} {unit}"
        out.append((r["quantity"], f"{r['value']:.1f} {unit}", iv))
    return out


def sizing_rows(full: dict | None, live: dict | None) -> tuple[list[tuple[str, str]], list[str]]:
    """(family, fitting sizes with oversizing) rows and warnings for the current annulus."""
    from twindesk.geometry.tavr_sizing import size
    from twindesk.model.devices import load_library

    res = merged_result(full, live)
    if res is None or not res.get("annulus"):
        return [], []
    s = size(res, load_library())
    rows = []
    for f in s["families"]:
        fits = ", ".join(f"{x['size_mm']:g} mm (P {x['oversizing_perimeter_pct']:+.0f} %, "
                         f"A {x['oversizing_area_pct']:+.0f} %)" for x in f["fitting"])
        rows.append((f["name"], fits or "no size fits"))
    warnings = s["warnings"] + [w for f in s["families"] for w in f["warnings"]]
    return rows, warnings


def _table(headers: list[str], name: str) -> QTableWidget:
    t = QTableWidget(0, len(headers))
    t.setObjectName(name)
    t.setHorizontalHeaderLabels(headers)
    t.verticalHeader().hide()
    t.horizontalHeader().setStretchLastSection(True)
    t.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    return t


def _fill(table: QTableWidget, rows) -> None:
    table.setRowCount(len(rows))
    for i, row in enumerate(rows):
        for j, text in enumerate(row):
            table.setItem(i, j, QTableWidgetItem(text))
    table.resizeColumnsToContents()


class AorticRootPanel(Panel):
    panel_id = "aortic_root"
    title = "Aortic root"
    area = "right"

    def __init__(self, window):
        super().__init__(window)
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.measure_button = QPushButton("Measure")
        self.measure_button.setObjectName("root_measure")
        self.measure_button.setToolTip("Measure the root with these hinges (automatic when "
                                       "the case has none) and store it (a job)")
        self.measure_button.clicked.connect(lambda: self.run_measure(auto=False))
        self.auto_button = QPushButton("Auto hinges")
        self.auto_button.setObjectName("root_auto")
        self.auto_button.setToolTip("Find the hinge points automatically and measure")
        self.auto_button.clicked.connect(lambda: self.run_measure(auto=True))
        self.start_button = QPushButton("Hinges here")
        self.start_button.setObjectName("root_start")
        self.start_button.setToolTip("Put three hinge points round the crosshair in the oblique "
                                     "plane (10 mm out), to drag onto the cusp nadirs when "
                                     "the automatic search fails")
        self.start_button.clicked.connect(self.start_hinges_at_cursor)
        self.cusp = QComboBox()
        self.cusp.setObjectName("root_cusp")
        self.cusp.addItems(list(CUSPS))
        self.cusp.setToolTip("Long-axis view through this cusp's hinge")
        self.cusp.currentTextChanged.connect(lambda _t: self.refresh_views())
        for w in (self.measure_button, self.auto_button, self.start_button,
                  QLabel("Long axis:"), self.cusp):
            row.addWidget(w)
        layout.addLayout(row)
        views = QHBoxLayout()
        self.plane_view = RootPlaneView("annulus", "Annulus plane (drag the hinges)")
        self.long_view = RootPlaneView("long", "Long axis through the hinge")
        for v in (self.plane_view, self.long_view):
            v.point_released.connect(self.hinge_moved)
            views.addWidget(v)
        layout.addLayout(views, 3)
        self.live_label = QLabel("—")
        self.live_label.setObjectName("root_live")
        self.live_label.setWordWrap(True)
        layout.addWidget(self.live_label)
        self.tabs = QTabWidget()
        self.table = _table(["Quantity", "Value", "Interval (hinges ±1 voxel, edge ±½ voxel)"],
                            "root_table")
        self.carm = CarmPlot()
        sizing = QWidget()
        sl = QVBoxLayout(sizing)
        self.sizing = _table(["Device family", "Fitting sizes (oversizing)"], "root_sizing")
        self.sizing_warnings = QLabel("")
        self.sizing_warnings.setObjectName("root_sizing_warnings")
        self.sizing_warnings.setWordWrap(True)
        sl.addWidget(self.sizing)
        sl.addWidget(self.sizing_warnings)
        self.tabs.addTab(self.table, "Measurements")
        self.tabs.addTab(self.carm, "C-arm")
        self.tabs.addTab(sizing, "Sizing")
        layout.addWidget(self.tabs, 2)
        self.editor: RootEditor | None = None
        self.result: dict[str, Any] | None = None

    def action_specs(self) -> list[ActionSpec]:
        return [ActionSpec("root.measure", "&Measure aortic root", "measure", "Tools",
                           tip="TAVR planning measurements of the aortic root (a job)")]

    def measure(self) -> None:
        self.run_measure(auto=False)

    # ------------------------------------------------------------------ case
    def case_opened(self, session) -> None:
        case = session.case
        self.result = case.read_json(RESULT_KEY) if case.artifact(RESULT_KEY) else None
        lm = (case.doc.get("landmarks") or {}).get("aortic_root") or {}
        self.editor = None
        if lm.get("hinges_lps_mm"):
            self._edit(case, lm["hinges_lps_mm"], self._ostia(lm), lm.get("septum_lps_mm"))
        self.refresh()

    def case_closed(self) -> None:
        self.editor, self.result = None, None
        self.refresh()

    @staticmethod
    def _ostia(lm: dict) -> dict:
        src = lm.get("ostia_source") or {}
        return {k: {"lower_edge_lps_mm": v, "source": src.get(k, "user")}
                for k, v in (lm.get("ostia_lps_mm") or {}).items() if v}

    def _edit(self, case, hinges, ostia, septum) -> None:
        position = (case.doc.get("image") or {}).get("patient_position")
        self.editor = RootEditor(case.image(), hinges, ostia, septum, position)
        try:
            self.editor.measure()
        except TwindeskError as exc:
            self.window_.show_status(f"Aortic root: {exc}")

    # ------------------------------------------------------------------ measure
    def run_measure(self, auto: bool = False) -> None:
        """The full measurement as a job; stored in the case when it ends."""
        try:
            session = self.writable_session("measure")
        except TwindeskError as exc:
            self.window_.errors.report(exc)
            return
        lm = dict((session.case.doc.get("landmarks") or {}).get("aortic_root") or {})
        hinges = None   # un-edited: the stored hinges keep their source (auto or user)
        if not auto and self.editor is not None and self.editor.edited:
            hinges = tuple(tuple(float(x) for x in self.editor.hinges[k]) for k in CUSPS)
        if auto:
            lm.pop("hinges_lps_mm", None)
        params = MeasureJobParams(session.case.artifact_path("volume"), hinges, stored=lm)
        self.window_.jobs.start("Measuring the aortic root", measure_job, params,
                                self._measured, child=True)

    def _measured(self, res: dict) -> None:
        from twindesk.geometry.measure_job import complete, store

        session = self.window_.session
        if session is None:
            return
        frame = res.pop("_frame")
        complete(res, frame, session.case.doc)
        try:
            store(session.case, res, frame, "lumen+100", save=session.save)
        except TwindeskError as exc:
            self.window_.errors.report(exc)
            return
        self.result = res
        self._edit(session.case, res["hinges_lps_mm"],
                   {k: v for k, v in res["coronary_heights"].items() if v},
                   (res.get("membranous_septum") or {}).get("point_lps_mm"))
        self.window_.doc_changed()
        ann = res["annulus"]["perimeter_derived_diameter_mm"]["value"]
        self.window_.show_status(f"Aortic root measured and stored: annulus {ann:.1f} mm "
                                 f"(perimeter-derived), {res['version']}")
        self.refresh()

    # ------------------------------------------------------------------ editing
    def start_hinges_at_cursor(self, radius_mm: float = 10.0) -> None:
        """Three hinge points round the crosshair in the oblique plane (its normal taken
        as pointing into the aorta), at the typical cusp angles; then drag them."""
        from twindesk.geometry.annulus import TYPICAL_CUSP_ANGLE_DEG, RootFrame, unit

        session = self.window_.session
        if session is None or not self.state.has_volume:
            self.window_.errors.report(TwindeskError("no case is open",
                                                     "open or import a case first"))
            return
        n = unit(self.state.oblique_normal_lps)
        if n[2] < 0:
            n = -n
        f = RootFrame(np.asarray(self.state.cursor_lps, float), n)
        hinges = {k: f.point(0.0, TYPICAL_CUSP_ANGLE_DEG[k], radius_mm) for k in CUSPS}
        self.set_hinges(hinges)

    def set_hinges(self, hinges: dict) -> None:
        """Edit these hinge points (LPS mm), keeping the case's ostia and septum point."""
        session = self.window_.session
        lm = (session.case.doc.get("landmarks") or {}).get("aortic_root") or {}
        self._edit(session.case, hinges, self._ostia(lm), lm.get("septum_lps_mm"))
        if self.editor is not None:
            self.editor.edited = True
        self.refresh()

    def hinge_moved(self, cusp: str, lps) -> None:
        """A hinge was dropped: measure the annulus again (or put it back and say why)."""
        if self.editor is None or cusp not in CUSPS:
            return
        try:
            self.editor.move_hinge(cusp, lps)
        except TwindeskError as exc:
            self.window_.show_status(f"Hinge not moved: {exc}")
        self.refresh()

    @property
    def live(self) -> dict | None:
        return None if self.editor is None or not self.editor.edited else self.editor.live

    # ------------------------------------------------------------------ display
    def refresh(self) -> None:
        self.refresh_views()
        _fill(self.table, table_rows(self.result, self.live))
        rows, warnings = sizing_rows(self.result, self.live)
        _fill(self.sizing, rows)
        self.sizing_warnings.setText("\n".join(f"! {w}" for w in warnings))
        res = merged_result(self.result, self.editor.live if self.editor else None)
        self.carm.set_plan((res or {}).get("fluoroscopy"))
        self.live_label.setText(self.live_text())

    def live_text(self) -> str:
        live = self.editor.live if self.editor is not None else None
        if live is None:
            return "No hinge points: press Measure (automatic) or Auto hinges."
        a = live["annulus"]
        cor = ", ".join(f"{k} {_value(v['height_mm']):.1f} mm" for k, v in
                        live["coronary_heights"].items() if v) or "not placed"
        state = "edited, not stored" if self.editor.edited else "as stored"
        return (f"Annulus ({state}): perimeter {a['perimeter_mm']:.1f} mm, area "
                f"{a['area_mm2']:.0f} mm², Dp {a['perimeter_derived_diameter_mm']:.1f} mm, "
                f"min/max {a['min_diameter_mm']:.1f}/{a['max_diameter_mm']:.1f} mm; "
                f"coronary heights {cor}")

    def refresh_views(self) -> None:
        s = self.state
        if self.editor is None or not s.has_volume:
            self.plane_view.clear()
            self.long_view.clear()
            return
        ed = self.editor
        frame = ed.frame
        window = (s.window_width_hu, s.window_level_hu)
        points = {k: (ed.hinges[k], CUSP_COLORS[k], True) for k in CUSPS}
        contour = []
        if ed.live is not None:
            contour = [(np.asarray(ed.live["annulus"]["contour_lps_mm"]), CONTOUR)]
        plane = annulus_view(frame)
        self.plane_view.set_content(plane, plane.sample(s.volume, s.geometry), window,
                                    contours=contour, points=points)
        cusp = self.cusp.currentText()
        angle = ed.hinge_angle_deg(cusp)
        view = long_axis_view(frame, angle)
        ring = [frame.center_lps_mm - 24 * view.col_dir, frame.center_lps_mm + 24 * view.col_dir]
        markers = []
        for side, o in ((ed.live or {}).get("coronary_heights") or {}).items():
            if o is None:
                continue
            p = np.asarray(o["lower_edge_lps_mm"], float)
            if abs(view.to_plane(p)[0, 2]) < 4.0:
                markers.append((p, OSTIUM, f"{side} ostium"))
        self.long_view.set_content(view, view.sample(s.volume, s.geometry), window,
                                   lines=[(ring[0], ring[1], CONTOUR)],
                                   points={cusp: (ed.hinges[cusp], CUSP_COLORS[cusp], True)},
                                   markers=markers, caption=f"{cusp} cusp at {angle:.0f}°")
