"""LAA occlusion panel: appendage analysis, ostium plane editing, sizing, deployment.

The logic is Qt-free: :func:`twindesk.geometry.laa.job.analyse_job` (analysis, a child-process
job), :func:`~twindesk.geometry.laa.job.store_analysis` (the plane and the result as one
undoable command: Edit ▸ Undo brings back the previous plane), :func:`twindesk.geometry.laa.
sizing.size_laa`, and :func:`twindesk.sim.laao.job.deploy_job` / :func:`~twindesk.sim.laao.
job.store` (deployment, fast or full model, in a child process so Cancel stops it).

The 3D view shows the ostium contour (yellow), the landing zone (green), the appendage axis
(cyan), the deployed occluder coloured by its local compression and the atrial wall around
it coloured by contact pressure.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox,
                               QHBoxLayout, QLabel, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout)

from twindesk.errors import TwindeskError
from twindesk.ui.actions import ActionSpec
from twindesk.ui.panels.base import Panel

OVERLAYS = ("laao:ostium", "laao:landing", "laao:axis", "laao:frame", "laao:pressure")


def _iv(x, digits: int = 1) -> str:
    if not x:
        return "—"
    if x["low"] == x["high"]:
        return f"{x['value']:.{digits}f}"
    return f"{x['value']:.{digits}f} [{x['low']:.{digits}f} to {x['high']:.{digits}f}]"


class LAAOPanel(Panel):
    panel_id = "laao"
    title = "LAA occlusion"
    area = "right"

    def __init__(self, window):
        super().__init__(window)
        from twindesk.model.devices import load_library

        self.library = load_library()
        self.analysis: dict | None = None
        self.placement: dict | None = None
        layout = QVBoxLayout(self)
        self.analyse_button = QPushButton("Analyse appendage")
        self.analyse_button.setObjectName("laao_analyse")
        self.analyse_button.setToolTip("Find the appendage, its ostium and landing zone in "
                                       "the 'la' mask (a job)")
        self.analyse_button.clicked.connect(lambda: self.analyse())
        layout.addWidget(self.analyse_button)
        self.summary = QLabel("No analysis yet: segment 'la', then Analyse.")
        self.summary.setObjectName("laao_summary")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        layout.addWidget(self._plane_box())
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("laao_sizes")
        self.table.setHorizontalHeaderLabels(["Size", "Fits", "Compression %", "At mean %"])
        self.table.verticalHeader().setVisible(False)
        self.table.setMinimumHeight(120)
        layout.addWidget(self.table)
        layout.addWidget(self._deploy_box())
        self.result = QLabel("")
        self.result.setObjectName("laao_result")
        self.result.setWordWrap(True)
        layout.addWidget(self.result)
        layout.addStretch(1)

    # ---------------------------------------------------------------- widgets
    def _plane_box(self) -> QGroupBox:
        box = QGroupBox("Ostium plane")
        form = QFormLayout(box)
        self.shift = QDoubleSpinBox()
        self.tilt_major = QDoubleSpinBox()
        self.tilt_minor = QDoubleSpinBox()
        for spin, name, rng, suffix in ((self.shift, "laao_shift", 15, " mm"),
                                        (self.tilt_major, "laao_tilt_major", 45, " °"),
                                        (self.tilt_minor, "laao_tilt_minor", 45, " °")):
            spin.setObjectName(name)
            spin.setRange(-rng, rng)
            spin.setSingleStep(0.5 if suffix == " mm" else 2.0)
            spin.setSuffix(suffix)
        form.addRow("Move into the appendage", self.shift)
        form.addRow("Tilt about the major axis", self.tilt_major)
        form.addRow("Tilt about the minor axis", self.tilt_minor)
        row = QHBoxLayout()
        apply_ = QPushButton("Apply plane")
        apply_.setObjectName("laao_apply_plane")
        apply_.clicked.connect(self.apply_plane)
        auto = QPushButton("Automatic")
        auto.setObjectName("laao_auto_plane")
        auto.clicked.connect(lambda: self.analyse(auto=True))
        show = QPushButton("Show")
        show.setToolTip("Put the crosshair and the oblique view on the ostium plane")
        show.clicked.connect(self.show_plane)
        for b in (apply_, auto, show):
            row.addWidget(b)
        form.addRow(row)
        return box

    def _deploy_box(self) -> QGroupBox:
        box = QGroupBox("Deployment")
        form = QFormLayout(box)
        self.family = QComboBox()
        self.family.setObjectName("laao_family")
        self.family.currentIndexChanged.connect(self._family_changed)
        self.size = QComboBox()
        self.size.setObjectName("laao_size")
        self.depth = QDoubleSpinBox()
        self.depth.setObjectName("laao_depth")
        self.depth.setRange(-10, 20)
        self.depth.setSingleStep(0.5)
        self.depth.setSuffix(" mm")
        self.depth.setToolTip("Ostium plane to the device's shoulder, + into the appendage")
        self.model = QComboBox()
        self.model.setObjectName("laao_model")
        self.model.addItems(["fast", "full"])
        self.uncertainty = QCheckBox("Intervals (6 fast reruns)")
        self.uncertainty.setObjectName("laao_uncertainty")
        self.uncertainty.setChecked(True)
        form.addRow("Device", self.family)
        form.addRow("Size", self.size)
        form.addRow("Shoulder depth", self.depth)
        form.addRow("Model", self.model)
        form.addRow(self.uncertainty)
        deploy = QPushButton("Deploy")
        deploy.setObjectName("laao_deploy")
        deploy.clicked.connect(self.deploy)
        form.addRow(deploy)
        return box

    def action_specs(self) -> list[ActionSpec]:
        return [ActionSpec("laao.analyse", "&Analyse left atrial appendage", "analyse",
                           "Tools", separator_before=True,
                           tip="Ostium, landing zone, depth and morphology (a job)"),
                ActionSpec("laao.deploy", "&Deploy LAA occluder", "deploy", "Tools",
                           tip="Simulate the chosen occluder size in the appendage (a job)")]

    # --------------------------------------------------------------- case
    def case_opened(self, session) -> None:
        self.family.blockSignals(True)
        self.family.clear()
        for fam in self.library.families:
            if fam.kind == "laao":
                self.family.addItem(fam.name, fam.id)
        self.family.blockSignals(False)
        self._family_changed()
        self.doc_refreshed()

    def case_closed(self) -> None:
        self.analysis = self.placement = None
        self._clear_overlays()
        self.summary.setText("No case.")
        self.table.setRowCount(0)
        self.result.setText("")

    def doc_refreshed(self) -> None:
        """Show what the case document holds (after an analysis, undo or redo)."""
        session = self.window_.session
        if session is None:
            return
        from twindesk.geometry.laa.job import RESULT_KEY

        case = session.case
        self.analysis = case.read_json(RESULT_KEY) if case.artifact(RESULT_KEY) else None
        self._show_analysis()

    def _family_changed(self) -> None:
        fid = self.family.currentData()
        self.size.clear()
        if not fid:
            return
        fam = self.library.family(fid)
        for s in fam.sizes:
            self.size.addItem(f"{s.size_mm:g} mm", float(s.size_mm))
        self.depth.setValue(fam.placement.default_depth_mm)
        self._show_sizes()

    # ----------------------------------------------------------- analysis
    def _session(self):
        return self.writable_session()

    def analyse(self, user_plane=None, auto: bool = False) -> None:
        """Analyse the appendage of the 'la' mask (a job); keeps a hand-set plane unless
        ``auto``; ``user_plane`` sets a new one."""
        from twindesk.geometry.laa.job import Atrium, AnalyseInput, analyse_job, \
            landing_zone_depths
        from twindesk.geometry.laa.ostium import OstiumPlane

        try:
            session = self._session()
            layer = self.state.layers.get("la")
            if layer is None or not layer.mask.any():
                raise TwindeskError("the case has no 'la' mask",
                                    "segment the left atrium first (Segmentation panel)")
        except TwindeskError as exc:
            self.window_.errors.report(exc)
            return
        stored = (session.case.doc.get("landmarks") or {}).get("laa") or {}
        if user_plane is None and not auto and stored.get("ostium_source") == "user":
            user_plane = OstiumPlane(tuple(stored["ostium_center_lps_mm"]),
                                     tuple(stored["ostium_normal_lps"]), "user")
        g = self.state.geometry
        atrium = Atrium(layer.mask.astype(bool), g, None, "labels:la",
                        float(max(g.spacing_mm)))
        hint = stored.get("laa_point_lps_mm")
        params = AnalyseInput(atrium, user_plane, tuple(hint) if hint else None,
                              landing_zone_depths(self.library))
        self.window_.jobs.start("Analysing the appendage", analyse_job, params,
                                self._analysed, child=True)

    def _analysed(self, data: dict) -> None:
        from twindesk.geometry.laa.job import store_analysis

        session = self._session()
        store_analysis(session.case, data)
        self.window_.doc_changed()
        self.doc_refreshed()
        self.window_.show_status(f"LAA: {self.summary_line()}")

    def apply_plane(self) -> None:
        """Re-analyse with the current plane moved/tilted by the spin boxes (undoable)."""
        from twindesk.geometry.laa.ostium import OstiumPlane

        if self.analysis is None:
            self.window_.errors.report(TwindeskError("no appendage analysis yet",
                                                     "press Analyse appendage first"))
            return
        o = self.analysis["ostium"]
        plane = OstiumPlane(tuple(o["center_lps_mm"]), tuple(o["normal_lps"]), "user")
        plane = plane.moved(self.shift.value(), o["major_axis_lps"], self.tilt_major.value())
        plane = plane.moved(0.0, o["minor_axis_lps"], self.tilt_minor.value(), "user")
        for spin in (self.shift, self.tilt_major, self.tilt_minor):
            spin.setValue(0.0)
        self.analyse(user_plane=plane)

    def show_plane(self) -> None:
        if self.analysis is None:
            return
        o = self.analysis["ostium"]
        self.state.set_cursor(np.asarray(o["center_lps_mm"], float))
        self.state.set_oblique_normal(np.asarray(o["normal_lps"], float))

    def summary_line(self) -> str:
        d = self.analysis
        o = d["ostium"]
        return (f"ostium {o['max_diameter_mm']['value']:.1f} × "
                f"{o['min_diameter_mm']['value']:.1f} mm ({o['source']}), depth "
                f"{d['depth_mm']['value']:.1f} mm, {d['morphology']}")

    def _show_analysis(self) -> None:
        d = self.analysis
        if d is None:
            self.summary.setText("No analysis yet: segment 'la', then Analyse.")
            self.table.setRowCount(0)
            self._clear_overlays()
            return
        o, lz = d["ostium"], d.get("landing_zone")
        lines = [f"<b>Ostium</b> ({o['source']} plane): max {_iv(o['max_diameter_mm'])}, "
                 f"min {_iv(o['min_diameter_mm'])}, mean {_iv(o['mean_diameter_mm'])} mm; "
                 f"perimeter {_iv(o['perimeter_mm'])} mm, area {_iv(o['area_mm2'], 0)} mm²"]
        if lz:
            lines.append(f"<b>Landing zone</b> ({lz['depth_mm']:g} mm in): max "
                         f"{_iv(lz['max_diameter_mm'])}, min {_iv(lz['min_diameter_mm'])} mm")
        lines.append(f"<b>Depth</b> {_iv(d['depth_mm'])} mm; bend {_iv(d['bend_deg'], 0)}°; "
                     f"{d['lobe_count']} lobe(s); <b>{d['morphology']}</b>")
        lines += [f"⚠ {w}" for w in d["warnings"]]
        self.summary.setText("<br>".join(lines))
        self._show_sizes()
        self._draw_analysis()

    def _show_sizes(self) -> None:
        if self.analysis is None or not self.family.currentData():
            return
        from twindesk.geometry.laa.sizing import size_laa

        fams = {f["device_id"]: f for f in size_laa(self.analysis, self.library)["families"]}
        fam = fams.get(self.family.currentData())
        rows = fam["sizes"] if fam else []
        self.table.setRowCount(len(rows))
        for r, s in enumerate(rows):
            cells = (f"{s['size_mm']:g}", "yes" if s["fits"] else "",
                     _iv(s["compression_pct"], 0), _iv(s["compression_at_mean_pct"], 0))
            for c, text in enumerate(cells):
                self.table.setItem(r, c, QTableWidgetItem(text))
        fitting = [s["size_mm"] for s in rows if s["fits"]]
        if fitting:
            self.size.setCurrentIndex(max(self.size.findData(float(fitting[0])), 0))
        self.table.resizeColumnsToContents()

    # ----------------------------------------------------------- deploy
    def deploy(self) -> None:
        from twindesk.sim.laao.job import DeployInput, PlaceLAAParams, deploy_job, \
            wall_from_mask

        try:
            session = self._session()
            if self.analysis is None:
                raise TwindeskError("no appendage analysis yet", "press Analyse first")
        except TwindeskError as exc:
            self.window_.errors.report(exc)
            return
        request = PlaceLAAParams(session.path, self.family.currentData(),
                                 float(self.size.currentData()), float(self.depth.value()),
                                 self.model.currentText(),
                                 with_uncertainty=self.uncertainty.isChecked())
        wall = wall_from_mask(self.state.layers["la"].mask.astype(bool), self.state.geometry)
        params = DeployInput(request, self.analysis, wall.points, wall.faces)
        self.window_.jobs.start(f"Deploying {request.size_mm:g} mm ({request.model})",
                                deploy_job, params, self._deployed, child=True)

    def _deployed(self, outcome) -> None:
        from twindesk.sim.laao.job import store

        out, df = outcome
        session = self._session()
        store(session.case, out, df)
        self.window_.doc_changed()
        self.placement = out
        dev = out["device"]
        lines = [f"<b>{dev['name']} {dev['size_mm']:g} mm</b> ({out['model']} model)",
                 f"Compression at the landing zone {_iv(out['compression_pct'])} % "
                 f"(recommended {dev['compression_min_pct']:g}–"
                 f"{dev['compression_max_pct']:g} %)",
                 f"Residual gap {_iv(out['sealing_gap_mm'])} mm; shoulder protrusion "
                 f"{_iv(out['shoulder_protrusion_mm'])} mm",
                 f"Device vs appendage axis {_iv(out['axis_angle_deg'])}°; contact pressure "
                 f"max {_iv(out['contact_pressure']['max_kpa'], 0)} kPa"]
        lines += [f"⚠ {f}" for f in out["flags"]]
        self.result.setText("<br>".join(lines))
        self._draw_deployment(df)
        self.window_.show_status(f"Deployed: compression {out['compression_pct']['value']:.0f} %")

    # ----------------------------------------------------------- 3D
    def _plotter(self):
        return getattr(self.window_.view3d, "plotter", None)

    def _clear_overlays(self) -> None:
        plotter = self._plotter()
        if plotter is None:
            return
        for name in OVERLAYS:
            plotter.remove_actor(name, render=False)
        self.window_.view3d.request_render()

    def _line(self, name: str, points, color, closed: bool, width: float = 4.0) -> None:
        import pyvista as pv

        pts = np.asarray(points, float)
        if closed:
            pts = np.vstack([pts, pts[:1]])
        self._plotter().add_mesh(pv.lines_from_points(pts), color=color, line_width=width,
                                 name=name, render=False)

    def _draw_analysis(self) -> None:
        if self._plotter() is None:
            return
        d = self.analysis
        self._line("laao:ostium", d["ostium"]["contour_lps_mm"], "yellow", True, 5)
        if d.get("landing_zone"):
            self._line("laao:landing", d["landing_zone"]["contour_lps_mm"], "lime", True)
        self._line("laao:axis", d["axis"]["points_lps_mm"], "cyan", False, 3)
        self.window_.view3d.request_render()

    def _draw_deployment(self, df) -> None:
        from twindesk.sim.laao.metrics import node_compression_pct
        from twindesk.sim.mechanics.api import pressure_map_polydata

        plotter = self._plotter()
        if plotter is None:
            return
        frame = df.to_polydata()
        frame.point_data["compression %"] = node_compression_pct(df)
        plotter.add_mesh(frame, scalars="compression %", cmap="coolwarm", clim=(0, 40),
                         line_width=3, render_lines_as_tubes=True, name="laao:frame",
                         render=False, scalar_bar_args={
                             "title": "compression %", "vertical": True,
                             "title_font_size": 16, "label_font_size": 12,
                             "position_x": 0.86, "position_y": 0.25, "height": 0.5,
                             "width": 0.06, "fmt": "%.0f"})
        wall = pressure_map_polydata(df)
        p = np.asarray(wall.point_data["contact_pressure_kpa"])
        top = float(np.percentile(p[p > 0], 95)) if np.any(p > 0) else 1.0
        plotter.add_mesh(wall, scalars="contact_pressure_kpa", cmap="YlOrRd",
                         clim=(0, max(top, 1.0)), opacity=0.6, name="laao:pressure",
                         render=False, scalar_bar_args={
                             "title": "wall kPa", "vertical": True,
                             "title_font_size": 16, "label_font_size": 12,
                             "position_x": 0.04, "position_y": 0.25, "height": 0.5,
                             "width": 0.06, "fmt": "%.0f"})
        # the atrium's display surface and the slice planes would hide the device: the
        # pressure map (the wall around the device) takes their place; Layers and View
        # bring them back
        if "la" in self.state.surfaces:
            self.state.set_surface_visible("la", False)
        self.window_.view3d.set_slices_visible(False)
        self.focus_device(frame)

    def focus_device(self, frame=None) -> None:
        """Point the 3D camera at the deployed device from the atrium's side."""
        plotter = self._plotter()
        if plotter is None or self.placement is None:
            return
        pl = self.placement["placement"]
        c = np.asarray(pl["ostium_center_lps_mm"], float)
        a = np.asarray(pl["device_axis_lps"], float)      # into the appendage
        side = np.cross(a, [0.0, 0.0, 1.0])
        if np.linalg.norm(side) < 1e-3:
            side = np.cross(a, [0.0, 1.0, 0.0])
        side /= np.linalg.norm(side)
        eye = c - 70.0 * a + 55.0 * side
        up = np.cross(side, a)
        plotter.camera_position = [tuple(eye), tuple(c + 5.0 * a), tuple(up)]
        self.window_.view3d.request_render()
