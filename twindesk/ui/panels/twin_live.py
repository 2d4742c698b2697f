"""Twin panel ▸ Live view: follow a growing vitals CSV (or a folder of FHIR/CSV files)
against the twin's predicted band — the window's face of ``twindesk twin watch``.

**Planning support, not patient monitoring.** The view raises no alarms: a value outside
the band is drawn as a hollow marker and counted, nothing more. Each look at the file runs
:meth:`twindesk.twin.watch.Watcher.poll` off the UI thread (it re-solves the 0D model per
new time point), one look at a time; the watcher never writes to the case.
"""

from __future__ import annotations

import copy
import traceback
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import (QDoubleSpinBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit,
                               QPushButton, QVBoxLayout, QWidget)

from twindesk.errors import InputError

#: What each plot shows: compared key → title.
PLOTS = {"dbp_mmhg": "Diastolic pressure (mmHg)",
         "map_central_mmhg": "Central mean pressure (mmHg)",
         "co_l_min": "Cardiac output (L/min)"}


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(object, str)


class _Poll(QRunnable):
    def __init__(self, watcher, signals: _Signals):
        super().__init__()
        self.watcher, self.signals = watcher, signals

    def run(self) -> None:
        try:
            self.signals.done.emit(self.watcher.poll())
        except BaseException as exc:  # noqa: BLE001 - reported once, in the UI thread
            self.signals.failed.emit(exc, traceback.format_exc())


def _minutes(points: list[dict]) -> list[float]:
    times = [datetime.fromisoformat(p["time_utc"].replace("Z", "+00:00")) for p in points]
    return [(t - times[0]).total_seconds() / 60.0 for t in times]


class LiveTab(QWidget):
    def __init__(self, panel):
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
        from matplotlib.figure import Figure

        from twindesk.twin.watch import LABEL

        super().__init__()
        self.panel = panel
        self.window_ = panel.window_
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.path = QLineEdit()
        self.path.setObjectName("live_path")
        self.path.setPlaceholderText("a growing vitals CSV, or a folder receiving FHIR/CSV files")
        pick_file, pick_folder = QPushButton("File…"), QPushButton("Folder…")
        pick_file.clicked.connect(self._pick_file)
        pick_folder.clicked.connect(self._pick_folder)
        self.poll_s = QDoubleSpinBox()
        self.poll_s.setObjectName("live_poll_s")
        self.poll_s.setRange(0.1, 60.0)
        self.poll_s.setValue(1.0)
        self.poll_s.setSuffix(" s")
        self.start_button, self.stop_button = QPushButton("Start"), QPushButton("Stop")
        self.start_button.setObjectName("live_start")
        self.stop_button.setObjectName("live_stop")
        self.start_button.clicked.connect(lambda: self.start())
        self.stop_button.clicked.connect(self.stop)
        self.stop_button.setEnabled(False)
        for w in (QLabel("Vitals"), self.path, pick_file, pick_folder, QLabel("every"),
                  self.poll_s, self.start_button, self.stop_button):
            row.addWidget(w)
        layout.addLayout(row)
        self.label = QLabel(f"{LABEL[0].upper()}{LABEL[1:]}.")
        self.label.setObjectName("live_label")
        self.label.setStyleSheet("color: #b04000; font-weight: bold;")
        layout.addWidget(self.label)
        self.status = QLabel("Not following anything")
        self.status.setObjectName("live_status")
        layout.addWidget(self.status)
        self.figure = Figure(figsize=(9, 2.6), dpi=90)
        self.canvas = FigureCanvasQTAgg(self.figure)
        self.canvas.setObjectName("live_plot")
        self.canvas.setMinimumHeight(160)
        layout.addWidget(self.canvas, 1)
        self.watcher = None
        self.points: list[dict] = []
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self.signals = _Signals()
        self.signals.done.connect(self._polled)
        self.signals.failed.connect(self._failed)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._tick)
        self._busy = False
        self._draw()

    # -------------------------------------------------------------- control
    def _pick_file(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(self, "Vitals file to follow", str(Path.home()),
                                                "CSV (*.csv *.txt);;All files (*)")
        if chosen:
            self.path.setText(chosen)

    def _pick_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Folder receiving vitals",
                                                  str(Path.home()))
        if chosen:
            self.path.setText(chosen)

    @property
    def running(self) -> bool:
        return self.timer.isActive()

    def start(self, path: Path | None = None) -> bool:
        """Follow ``path`` (default: the path field) against the twin's band."""
        from twindesk.twin.watch import Watcher

        if path is not None:
            self.path.setText(str(path))
        self.stop()
        doc = self.panel.doc()
        try:
            if doc is None:
                raise InputError("no case is open", "open a calibrated twin first")
            text = self.path.text().strip()
            if not text:
                raise InputError("no vitals file chosen", "pick the growing CSV or the folder")
            # a copy: the watcher reads the calibration off the UI thread
            self.watcher = Watcher(copy.deepcopy(doc), Path(text))
        except InputError as exc:
            self.window_.errors.report(exc)
            return False
        self.points = []
        self.timer.start(int(1000 * self.poll_s.value()))
        self.start_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self._show_status()
        self._tick()
        return True

    def stop(self) -> None:
        self.timer.stop()
        self.pool.waitForDone(10000)
        self._busy = False
        self.start_button.setEnabled(True)
        self.stop_button.setEnabled(False)
        if self.watcher is not None:
            self._show_status(stopped=True)

    def _tick(self) -> None:
        if self._busy or self.watcher is None:
            return
        self._busy = True
        self.pool.start(_Poll(self.watcher, self.signals))

    def _polled(self, new: list[dict]) -> None:
        self._busy = False
        if not self.running:
            return
        if new:
            self.points += new
            self._draw()
        self._show_status()

    def _failed(self, exc: BaseException, tb: str) -> None:
        self._busy = False
        self.stop()
        self.window_.errors.report(exc, tb)

    # -------------------------------------------------------------- display
    @property
    def outside_count(self) -> int:
        return sum(bool(p["outside_band"]) for p in self.points)

    def _show_status(self, stopped: bool = False) -> None:
        w = self.watcher
        state = "Stopped" if stopped else "Following"
        self.status.setText(f"{state} {w.path} (calibration {w.band.calibration_id}): "
                            f"{len(self.points)} time points, {self.outside_count} with a value "
                            "outside the twin's band (information only)")

    def _draw(self) -> None:
        fig = self.figure
        fig.clear()
        axes = fig.subplots(1, len(PLOTS))
        x = _minutes(self.points) if self.points else []
        for ax, (key, title) in zip(axes, PLOTS.items()):
            ax.set_title(title, fontsize=9)
            ax.tick_params(labelsize=8)
            ax.set_xlabel("minutes since the first value", fontsize=8)
            if not self.points:
                ax.text(0.5, 0.5, "no values yet", ha="center", va="center",
                        transform=ax.transAxes, fontsize=8, color="0.5")
                continue
            c = [p["compared"][key] for p in self.points]
            ax.fill_between(x, [e["low"] for e in c], [e["high"] for e in c], color="#7fa7d9",
                            alpha=0.35, linewidth=0, label="twin's band")
            ax.plot(x, [e["predicted"] for e in c], color="#2f5f9f", linewidth=1.2,
                    label="twin")
            seen = [(xi, e) for xi, e in zip(x, c) if e["observed"] is not None]
            inside = [(xi, e["observed"]) for xi, e in seen if e.get("inside")]
            outside = [(xi, e["observed"]) for xi, e in seen if not e.get("inside")]
            if inside:
                ax.plot(*zip(*inside), "o", color="black", markersize=4, label="observed")
            if outside:
                ax.plot(*zip(*outside), "o", markerfacecolor="none", markeredgecolor="#c06000",
                        markersize=6, label="outside band (information)")
        if self.points:   # one legend above the plots, never over a value
            handles, labels = axes[0].get_legend_handles_labels()
            fig.legend(handles, labels, loc="upper center", ncol=len(labels), fontsize=7,
                       frameon=False)
        fig.subplots_adjust(left=0.06, right=0.99, bottom=0.2, top=0.8, wspace=0.25)
        self.canvas.draw_idle()
