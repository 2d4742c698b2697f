"""Flow panel: the twin's scenarios, their 0D and 3D pulsatile runs, and what the 3D flow
looks like.

Logic lives in the Qt-free core: :func:`twindesk.sim.scenarios.define.list_scenarios` /
:func:`~twindesk.sim.scenarios.define.add_scenario` (the list and "Add scenario…"),
:func:`twindesk.sim.lumped.jobs.simulate_case` ("Run 0D"),
:func:`twindesk.sim.pulsatile.store.run_pulsatile` ("Run 3D pulsatile": a child process,
checkpoints stored as they come, resume), :func:`twindesk.sim.flow.store.run_steady` ("Run
steady 3D" at mean or peak inflow: a child process, stored as ``twindesk flow`` stores it),
:mod:`twindesk.sim.pulsatile.views` (colour maps,
sections, streamlines, waveforms), :mod:`twindesk.sim.flow.results` (the steady 3D results,
shown through the same display) and :func:`twindesk.sim.scenarios.compare.compare_scenarios`
with :func:`twindesk.sim.pulsatile.figure.render` (pre/post side by side). The jobs run on the
window's lent case (:mod:`twindesk.ui.case_jobs`), with progress and Cancel in the status bar.
"""

from __future__ import annotations

import uuid

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QGroupBox, QHBoxLayout,
                               QLabel, QPushButton, QSpinBox, QVBoxLayout)

from twindesk.errors import InputError, TwindeskError
from twindesk.sim.flow.results import (FLOW_LABELS, SteadyResult, load_fields, read_summary,
                                       steady_results)
from twindesk.sim.pulsatile import views
from twindesk.ui.actions import ActionSpec
from twindesk.ui.case_jobs import commit_now, require_saved, start_case_job
from twindesk.ui.flow_display import PLANES, FlowDisplay, plot_waveforms
from twindesk.ui.flow_text import describe, num, steady_text, three_d_text, zero_d_text
from twindesk.ui.panels.base import Panel
from twindesk.ui.tables import fill_table, make_table

STRUCTURE = "aorta"


class FlowPanel(Panel):
    panel_id = "flow"
    title = "Flow"
    area = "right"

    def __init__(self, window):
        super().__init__(window)
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
        from matplotlib.figure import Figure

        self.display = FlowDisplay(window)
        self.items: list[dict] = []
        self._grids: dict[str, tuple[str, object]] = {}
        self.compare_dialog = None
        self._pending = False  # something to show once the panel is on screen
        self._prefer: tuple[str, str] | None = None  # (scenario, result kind) to show next
        layout = QVBoxLayout(self)
        layout.addLayout(self._scenario_column())
        layout.addWidget(self._show_box())
        self.summary = QLabel("No case.")
        self.summary.setObjectName("flow_summary")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.figure = Figure(figsize=(6.4, 2.6), dpi=90)
        self.canvas = FigureCanvasQTAgg(self.figure)
        self.canvas.setObjectName("flow_waveforms")
        self.canvas.setMinimumSize(300, 210)
        layout.addWidget(self.canvas, 1)
        layout.addLayout(self._compare_row())
        self._section_timer = QTimer(self)
        self._section_timer.setSingleShot(True)
        self._section_timer.setInterval(60)  # one cut per burst of crosshair moves
        self._section_timer.timeout.connect(self.display.update_section)
        self.state.cursor_changed.connect(self._plane_moved)
        self.state.reslice_changed.connect(self._plane_moved)
        self._plot(None, "", "No case.")

    # ---------------------------------------------------------------- widgets
    def _scenario_column(self) -> QVBoxLayout:
        col = QVBoxLayout()
        self.table = make_table(["Scenario", "0D", "3D", "From", "Changes", "Steady 3D"],
                                "flow_scenarios")
        self.table.setMinimumHeight(100)
        self.table.setMaximumHeight(150)
        self.table.itemSelectionChanged.connect(self.show_selected)
        col.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.add_button = QPushButton("Add scenario…")
        self.add_button.setObjectName("flow_add")
        self.add_button.clicked.connect(lambda: self.add_scenario())
        self.run0d_button = QPushButton("Run 0D")
        self.run0d_button.setObjectName("flow_run0d")
        self.run0d_button.setToolTip("Periodic state of the lumped circulation model (seconds)")
        self.run0d_button.clicked.connect(self.run_0d)
        self.run3d_button = QPushButton("Run 3D pulsatile")
        self.run3d_button.setObjectName("flow_run3d")
        self.run3d_button.setToolTip("3D flow over cardiac cycles with the 0D model at the "
                                     "outlets (minutes to hours; Cancel keeps a checkpoint)")
        self.run3d_button.clicked.connect(self.run_3d)
        for b in (self.add_button, self.run0d_button, self.run3d_button):
            row.addWidget(b)
        col.addLayout(row)
        row = QHBoxLayout()
        self.steps = QSpinBox()
        self.steps.setObjectName("flow_steps")
        self.steps.setRange(8, 2000)
        self.steps.setValue(200)
        self.steps.setSuffix(" steps/cycle")
        self.cycles = QSpinBox()
        self.cycles.setObjectName("flow_cycles")
        self.cycles.setRange(1, 20)
        self.cycles.setValue(4)
        self.cycles.setSuffix(" cycles max")
        self.resume = QCheckBox("Resume")
        self.resume.setObjectName("flow_resume")
        self.resume.setToolTip("Continue from the checkpoint a cancelled run left")
        for w in (self.steps, self.cycles, self.resume):
            row.addWidget(w)
        col.addLayout(row)
        row = QHBoxLayout()
        self.steady_button = QPushButton("Run steady 3D")
        self.steady_button.setObjectName("flow_run_steady")
        self.steady_button.setToolTip("Steady 3D flow (pressure drop, velocity, WSS) at the "
                                      "chosen inflow. Minutes at the mean flow, half an hour "
                                      "or more at peak flow on a ~90k-tetrahedron aorta (the "
                                      "demo case: 5 and 32 min); Cancel stops it at once")
        self.steady_button.clicked.connect(lambda: self.run_steady())
        self.steady_flow = QComboBox()
        self.steady_flow.setObjectName("flow_steady_flow")
        self.steady_flow.addItem("at mean flow (cardiac output)", "mean")
        self.steady_flow.addItem("at peak systolic flow", "peak")
        row.addWidget(self.steady_button)
        row.addWidget(self.steady_flow, 1)
        col.addLayout(row)
        return col

    def _show_box(self) -> QGroupBox:
        box = QGroupBox("Show")
        form = QFormLayout(box)
        self.result = QComboBox()
        self.result.setObjectName("flow_result")
        self.result.setToolTip("The selected scenario's 3D results: pulsatile (Run 3D "
                               "pulsatile) and steady at mean or peak inflow (Run steady 3D "
                               "or twindesk flow)")
        self.result.currentIndexChanged.connect(self.show_selected)
        self.field = QComboBox()
        self.field.setObjectName("flow_field")
        self._fill_fields(views.PULSATILE_FIELDS)
        self.field.currentIndexChanged.connect(self.show_selected)
        self.plane = QComboBox()
        self.plane.setObjectName("flow_plane")
        self.plane.addItems(PLANES)
        self.plane.setCurrentText("axial")
        self.plane.setToolTip("Colour the lumen's cross-section at this MPR plane through "
                              "the crosshair (3D view; its outline on the 2D views)")
        self.plane.currentTextChanged.connect(self.display.set_plane)
        self.lines = QCheckBox("Streamlines (peak systole)")
        self.lines.setObjectName("flow_streamlines")
        self.lines.setChecked(True)
        self.lines.toggled.connect(self.display.set_streamlines)
        form.addRow("Result", self.result)
        form.addRow("Colour by", self.field)
        row = QHBoxLayout()
        row.addWidget(self.plane, 1)
        row.addWidget(self.lines)
        form.addRow("Section at", row)
        return box

    def _compare_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.compare_a, self.compare_b = QComboBox(), QComboBox()
        self.compare_a.setObjectName("flow_compare_a")
        self.compare_b.setObjectName("flow_compare_b")
        self.compare_button = QPushButton("Side by side…")
        self.compare_button.setObjectName("flow_compare")
        self.compare_button.setToolTip("Pre/post: both flows with one colour range, and the "
                                       "differences with intervals")
        self.compare_button.clicked.connect(self.compare)
        for w in (QLabel("Compare"), self.compare_a, QLabel("with"), self.compare_b,
                  self.compare_button):
            row.addWidget(w)
        return row

    def action_specs(self) -> list[ActionSpec]:
        return [ActionSpec("flow.run3d", "Run 3D &pulsatile flow", "run_3d", "Tools",
                           separator_before=True,
                           tip="Pulsatile 3D flow of the selected scenario (a job)"),
                ActionSpec("flow.run_steady", "Run s&teady 3D flow", "run_steady", "Tools",
                           tip="Steady 3D flow of the selected scenario at the inflow chosen "
                               "in the Flow panel, mean or peak (a job)"),
                ActionSpec("flow.compare", "Compare &scenarios side by side", "compare",
                           "Tools", tip="Pre/post flow and the differences with intervals")]

    # ------------------------------------------------------------------- case
    def _doc(self) -> dict | None:
        session = self.window_.session
        return session.case.doc if session is not None else None

    def case_opened(self, session) -> None:
        from PySide6.QtWidgets import QDockWidget

        dock = self.window_.findChild(QDockWidget, f"dock_{self.panel_id}")
        if dock is not None and not getattr(self, "_watching_dock", False):
            self._watching_dock = True  # the window creates the dock after the panel
            dock.visibilityChanged.connect(self._dock_shown)
        self._grids = {}
        self.refresh()

    def case_committed(self) -> None:
        self.refresh()

    def doc_refreshed(self) -> None:
        self.refresh()

    def case_closed(self) -> None:
        self.items, self._grids = [], {}
        self.display.clear()
        self.table.setRowCount(0)
        self.compare_a.clear()
        self.compare_b.clear()
        self.summary.setText("No case.")
        self._plot(None, "", "No case.")
        self._close_compare()

    def shutdown(self) -> None:
        self._section_timer.stop()
        self._close_compare()

    def _close_compare(self) -> None:
        if self.compare_dialog is not None:
            self.compare_dialog.close()
            self.compare_dialog = None

    def refresh(self) -> None:
        """List the scenarios and show the selected one (the first with a 3D result when
        nothing is selected yet)."""
        from twindesk.sim.scenarios.define import list_scenarios

        doc = self._doc()
        if doc is None:
            return
        keep = self.selected_name()
        try:
            self.items = list_scenarios(doc)
        except TwindeskError as exc:
            self.items = []
            self.summary.setText(exc.user_message())
        rows = []
        steady = steady_results(doc)
        listed = {s["name"] for s in self.items}
        for extra in dict.fromkeys(r.scenario for r in steady if r.scenario not in listed):
            # a steady solve of a scenario the physiology does not define: still shown
            self.items.append({"name": extra, "from": None, "parameters_source": "",
                               "results": {"0d": False, "3d_pulsatile": False}})
        for s in self.items:
            ck = self._checkpoint(s["name"])
            three = "yes" if s["results"]["3d_pulsatile"] else \
                f"checkpoint (cycle {ck['cycle']})" if ck else "—"
            flows = ", ".join(r.flow for r in steady if r.scenario == s["name"])
            rows.append([s["name"], "yes" if s["results"]["0d"] else "—", three,
                         s["from"] or "", describe(s) if s["from"] else
                         (s.get("parameters_source") or ""), flows or "—"])
        self.table.blockSignals(True)
        fill_table(self.table, rows)
        names = [s["name"] for s in self.items]
        pick = keep if keep in names else next(
            (s["name"] for s in self.items if s["results"]["3d_pulsatile"]),
            steady[0].scenario if steady else names[0] if names else None)
        if pick is not None:
            self.table.selectRow(names.index(pick))
        self.table.blockSignals(False)
        done3d = [s["name"] for s in self.items if s["results"]["3d_pulsatile"]]
        defaults = (done3d[0] if done3d else names[0] if names else "",
                    done3d[-1] if len(done3d) > 1 else names[-1] if names else "")
        for combo, default in zip((self.compare_a, self.compare_b), defaults, strict=True):
            current = combo.currentText()
            combo.clear()
            combo.addItems(names)
            combo.setCurrentText(current if current in names else default)
        self.show_selected()

    def selected_name(self) -> str | None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        if not rows or rows[0] >= len(self.items):
            return None
        return self.items[rows[0]]["name"]

    def _checkpoint(self, name: str) -> dict | None:
        from twindesk.sim.pulsatile.store import keys

        rec = self.window_.session.case.artifact(keys(name)["checkpoint"])
        return (rec or {}).get("meta") if rec else None

    # ---------------------------------------------------------------- display
    def _grid(self, case, name: str, choice):
        """The result grid of a scenario's pulsatile run (``choice`` "pulsatile") or steady
        solve (a :class:`SteadyResult`), read once per stored artefact."""
        if choice == "pulsatile":
            key = case.doc["pulsatile"][name]["artifacts"]["fields"]
            load = lambda: views.load_fields(case, name)  # noqa: E731
        else:
            key = choice.key
            load = lambda: load_fields(case, choice)  # noqa: E731
        sha = (case.artifact(key) or {}).get("sha256", key)
        if self._grids.get(key, ("",))[0] != sha:
            self._grids[key] = (sha, load())
        return self._grids[key][1]

    def _fill_results(self, doc: dict, name: str):
        """List the 3D results of scenario ``name`` in the Result box (keeping the kind
        chosen before: pulsatile, steady mean or steady peak); returns the chosen one:
        "pulsatile", a :class:`SteadyResult`, or None when the scenario has none."""
        options = [("pulsatile", f"{name} – 3D pulsatile")] \
            if name in (doc.get("pulsatile") or {}) else []
        options += [(r.flow, r.label) for r in steady_results(doc, name)]
        kinds = [data for data, _ in options]
        kind = self.result.currentData()
        if self._prefer is not None and self._prefer[0] == name and self._prefer[1] in kinds:
            kind, self._prefer = self._prefer[1], None  # a result just computed: show it
        self.result.blockSignals(True)
        if [self.result.itemText(i) for i in range(self.result.count())] != \
                [label for _, label in options]:
            self.result.clear()
            for data, label in options:
                self.result.addItem(label, data)
        self.result.setCurrentIndex(kinds.index(kind) if kind in kinds else 0)
        self.result.blockSignals(False)
        kind = self.result.currentData()
        if kind is None:
            return None
        return kind if kind == "pulsatile" else SteadyResult(name, kind)

    def _fill_fields(self, names: tuple[str, ...]) -> None:
        """Offer the fields a result holds; the same quantity stays chosen when it can."""
        if [self.field.itemData(i) for i in range(self.field.count())] == list(names):
            return
        current = self.field.currentData()
        array = views.FIELDS[current][0] if current in views.FIELDS else None
        self.field.blockSignals(True)
        self.field.clear()
        for name in names:
            fv = views.field_view(name)
            self.field.addItem(f"{fv.label} ({fv.unit})" if fv.unit else fv.label, name)
        same = [i for i, n in enumerate(names) if views.FIELDS[n][0] == array]
        self.field.setCurrentIndex(same[0] if same else 0)
        self.field.blockSignals(False)

    def _dock_shown(self, visible: bool) -> None:
        if visible and self._pending:  # after the dock's layout: then it has a region
            QTimer.singleShot(0, self.show_selected)

    def show_selected(self) -> None:
        """Colour maps, streamlines, waveforms and numbers of the selected scenario.

        Only while the panel is on screen (a tab behind another dock counts as visible to
        Qt, so the visible region decides): a case opened for other work keeps its 3D view
        until the user looks at the Flow panel."""
        self._pending = self.visibleRegion().isEmpty()
        if self._pending:
            return
        session = self.window_.session
        name = self.selected_name()
        ck = self._checkpoint(name) if name else None
        self.resume.setEnabled(ck is not None)
        self.resume.setChecked(ck is not None)
        if session is None or name is None:
            self.display.clear()
            return
        case = session.case
        choice = self._fill_results(case.doc, name)
        if choice is None:
            self.display.clear()
            self.summary.setText(zero_d_text(case.doc, name, ck))
            self._plot(None, "", f"No 3D pulsatile result for '{name}'.")
            return
        steady = choice != "pulsatile"
        self._fill_fields(views.STEADY_FIELDS if steady else views.PULSATILE_FIELDS)
        self.lines.setText("Streamlines" if steady else "Streamlines (peak systole)")
        try:
            grid = self._grid(case, name, choice)
            try:
                inlet = views.inlet_of(case, STRUCTURE)
            except InputError:
                inlet = None  # no inlet region: no streamlines, the rest still shows
            shown = self.display.show(grid, self.field.currentData(), inlet)
            if steady:
                summary = read_summary(case, choice)
            else:
                waves = views.waveforms(case, name)
        except TwindeskError as exc:
            self.display.clear()
            self.summary.setText(exc.user_message())
            self._plot(None, "", "The result could not be read.")
            return
        if steady:
            self.summary.setText(steady_text(choice.label, summary, shown))
            self._plot(None, "", "A steady result has one flow, no waveforms over the cycle.")
            return
        self.summary.setText(three_d_text(name, case.doc["pulsatile"][name]["summary"], shown))
        self._plot(waves, f"'{name}': last cycle", "")

    def _plane_moved(self) -> None:
        if self.display.grid is not None and self.display.plane != "none":
            self._section_timer.start()

    def _plot(self, waves, title: str, empty: str) -> None:
        plot_waveforms(self.figure, waves, title, empty)
        self.canvas.draw_idle()

    # ------------------------------------------------------------------- jobs
    def _selected_or_report(self) -> str | None:
        name = self.selected_name()
        if name is None:
            self.window_.errors.report(InputError("no scenario is selected",
                                                  "select one in the Flow panel's list"))
        return name

    def add_scenario(self, spec=None) -> dict | None:
        """Define a scenario (``spec`` given, or asked for in a dialog); saves the case."""
        from twindesk.sim.scenarios.define import add_scenario

        if not require_saved(self.window_, "Adding a scenario"):
            return None
        if spec is None:
            from twindesk.ui.dialogs.scenario_dialog import ScenarioDialog

            dialog = ScenarioDialog(self, [s["name"] for s in self.items],
                                    self.selected_name() or "baseline")
            if not dialog.exec():
                return None
            spec = dialog.spec()
        result = commit_now(self.window_, add_scenario, spec)
        if result is not None:
            self._select(spec.name)
            self.window_.show_status(f"Scenario '{spec.name}' added")
        return result

    def _select(self, name: str) -> None:
        names = [s["name"] for s in self.items]
        if name in names:
            self.table.selectRow(names.index(name))

    def run_0d(self) -> None:
        from twindesk.ui.flow_jobs import simulate0d_job

        name = self._selected_or_report()
        if name is None or not require_saved(self.window_, "The 0D run"):
            return
        start_case_job(self.window_, f"0D model of '{name}'", simulate0d_job, name,
                       lambda r: self.window_.show_status(
                           f"0D '{name}': CO {num(r['haemodynamics']['cardiac_output_l_min'], '.2f')}"
                           " L/min"))

    def run_3d(self):
        """Start the 3D pulsatile run of the selected scenario (resuming its checkpoint when
        Resume is ticked); returns the job or None."""
        from twindesk.sim.pulsatile.case_job import PulsatileCaseParams
        from twindesk.ui.flow_jobs import pulsatile_job

        name = self._selected_or_report()
        if name is None or not require_saved(self.window_, "The 3D run"):
            return None
        case = self.window_.session.case
        if not self._has_mesh(case):
            self.offer_mesh()
            return None
        cycles = int(self.cycles.value())
        params = PulsatileCaseParams(str(case.path), name, STRUCTURE, int(self.steps.value()),
                                     cycles, min(2, cycles))
        resume = self.resume.isEnabled() and self.resume.isChecked()
        return start_case_job(self.window_, f"3D pulsatile flow of '{name}'", pulsatile_job,
                              (params, resume), lambda r: self._ran_3d(name, r))

    def _ran_3d(self, name: str, record: dict) -> None:
        self._select(name)
        cyc = record["summary"]["cycles"]
        self.window_.show_status(f"3D '{name}': {cyc['completed']} cycles, "
                                 f"{'periodic' if cyc['periodic'] else 'not periodic'}", 10000)

    def run_steady(self, flow: str | None = None):
        """Start the steady 3D solve of the selected scenario at ``flow`` ("mean" or "peak";
        the choice next to the button when None); returns the job or None."""
        from twindesk.ui.flow_jobs import steady_job

        flow = flow or self.steady_flow.currentData()
        name = self._selected_or_report()
        if name is None or not require_saved(self.window_, "The steady 3D run"):
            return None
        if not self._has_mesh(self.window_.session.case):
            self.offer_mesh("Run steady 3D")
            return None
        return start_case_job(self.window_, f"Steady {flow} 3D flow of '{name}'", steady_job,
                              (STRUCTURE, name, flow), lambda r: self._ran_steady(name, flow, r))

    def _ran_steady(self, name: str, flow: str, summary: dict) -> None:
        self._prefer = (name, flow)
        if self.selected_name() == name:
            self.show_selected()
        else:
            self._select(name)
        drop = num(summary["pressure_drop_aorta_mmhg"], ".3g")
        self.window_.show_status(f"{FLOW_LABELS[flow].capitalize()} of '{name}': {drop} mmHg "
                                 f"along the aorta, {summary['solver']['iterations']} "
                                 "iterations", 10000)

    @staticmethod
    def _has_mesh(case) -> bool:
        return all(case.artifact(f"{k}:{STRUCTURE}") is not None
                   for k in ("mesh", "mesh_boundary"))

    def offer_mesh(self, run: str = "Run 3D pulsatile") -> None:
        """The 3D runs need the flow mesh: say so, and build it from the aorta mask (then
        the user presses ``run`` again)."""
        from twindesk.ui.flow_jobs import mesh_job

        case = self.window_.session.case
        if case.artifact(f"labels:{STRUCTURE}") is None:
            self.window_.errors.report(InputError(
                "the 3D run needs a flow mesh of the aorta, and the case has no aorta mask",
                f"segment the aorta (Segmentation panel), then {run} again"))
            return
        answer = self.window_.ask("Flow mesh needed",
                                  "The 3D run needs a tetrahedral flow mesh of the aorta "
                                  "('mesh_boundary:aorta'), which this case does not have.\n\n"
                                  "Build it now from the aorta mask (a few minutes)?",
                                  ("Yes", "No"), "Yes")
        if answer == "Yes":
            start_case_job(self.window_, "Meshing the aorta for flow", mesh_job, STRUCTURE,
                           lambda r: self.window_.show_status(
                               f"Flow mesh: {r['mesh'].get('tetrahedra', '?')} tetrahedra; "
                               f"now {run}", 10000))

    def compare(self):
        """Pre/post side by side of the two chosen scenarios (a job; opens a window)."""
        from twindesk.paths import user_cache_dir
        from twindesk.ui.flow_jobs import CompareParams, compare_job

        a, b = self.compare_a.currentText(), self.compare_b.currentText()
        if not a or not b or a == b:
            self.window_.errors.report(InputError("choose two different scenarios to compare",
                                                  "pick them next to 'Side by side…'"))
            return None
        if not require_saved(self.window_, "Comparing", write=False):
            return None
        folder = user_cache_dir() / "flow-compare"
        folder.mkdir(parents=True, exist_ok=True)
        png = folder / f"{uuid.uuid4().hex[:12]}.png"
        params = CompareParams(self.window_.session.path, a, b, self.field.currentData(), png)
        return self.window_.jobs.start(f"Comparing '{a}' and '{b}'", compare_job, params,
                                       lambda out: self._compared(out, png), child=True)

    def _compared(self, outcome: dict, png) -> None:
        from twindesk.ui.dialogs.flow_compare import FlowCompareDialog

        self._close_compare()
        self.compare_dialog = FlowCompareDialog(self.window_, outcome, png)
        self.compare_dialog.show()
        png.unlink(missing_ok=True)  # the pixmap holds the picture now
