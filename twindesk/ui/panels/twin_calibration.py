"""Twin panel ▸ Calibration (recalibrate to the latest vitals as a job; targets against the
calibrated model; parameters old → new) and ▸ Predicted vs observed (the accuracy table)."""

from __future__ import annotations

from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPushButton, QSpinBox, QSplitter,
                               QVBoxLayout, QWidget)

from twindesk.ui.case_jobs import require_saved, start_case_job
from twindesk.ui.tables import fill_table, make_table


def recalibrate_job(case, n_samples: int, progress, cancel):
    from twindesk.twin.recalibration import recalibrate

    return recalibrate(case, n_samples, progress=progress, cancel=cancel)


def _num(value, fmt: str = ".4g") -> str:
    return "-" if value is None else format(value, fmt)


class CalibrationTab(QWidget):
    def __init__(self, panel):
        super().__init__()
        self.panel = panel
        self.window_ = panel.window_
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.button = QPushButton("Recalibrate to latest vitals")
        self.button.setObjectName("twin_recalibrate")
        self.button.setToolTip("Refit the 0D model to the latest attached vitals (a job; the "
                               "twin keeps the old and the new parameters as versions)")
        self.button.clicked.connect(self.recalibrate)
        self.samples = QSpinBox()
        self.samples.setObjectName("twin_samples")
        self.samples.setRange(10, 20000)
        self.samples.setValue(300)
        self.samples.setToolTip("Monte Carlo samples of the uncertainty interval")
        self.summary = QLabel("")
        self.summary.setObjectName("twin_calibration_summary")
        for w in (self.button, QLabel("Samples"), self.samples, self.summary):
            row.addWidget(w)
        row.addStretch(1)
        layout.addLayout(row)
        split = QSplitter()
        self.targets = make_table(("Target", "Measured", "Calibrated model", "Error", "Unit"),
                                  "twin_targets")
        self.parameters = make_table(("Parameter", "Previous", "New", "Change", "Unit",
                                      "Source"), "twin_parameters")
        split.addWidget(self.targets)
        split.addWidget(self.parameters)
        layout.addWidget(split)

    def refresh(self) -> None:
        from twindesk.twin.recalibration import latest_comparison

        doc = self.panel.doc()
        cmp = latest_comparison(doc) if doc else None
        if cmp is None:
            fill_table(self.targets, [])
            fill_table(self.parameters, [])
            self.summary.setText("Not calibrated yet" if doc else "")
            return
        self.show_comparison(cmp)

    def show_comparison(self, cmp: dict) -> None:
        """Targets vs the calibrated model and the parameter changes (also what
        :func:`twindesk.twin.recalibration.recalibrate` returns)."""
        fill_table(self.targets, [(k.replace("_", " "), _num(r["target"]), _num(r["model"]),
                                   f"{r['error_pct']:+.2f} %", r["unit"])
                                  for k, r in cmp["reproduced"].items()])
        rows, muted = [], []
        for p in cmp["parameters"]:
            rows.append((p["parameter"], _num(p["old"]), _num(p["new"]),
                         "-" if p["change_pct"] is None else f"{p['change_pct']:+.1f} %",
                         p["unit"], p["source"]))
            muted.append(p["source"] not in ("fitted", "measured", "rule"))
        fill_table(self.parameters, rows, muted)
        source = (cmp.get("targets") or {}).get("source", "")
        prev = cmp.get("previous_calibration_id")
        self.summary.setText(f"{cmp['calibration_id']} to {source}" +
                             (f" (previous {prev})" if prev else " (first calibration)") +
                             "; grey: not identifiable from these data")

    def recalibrate(self) -> None:
        if not require_saved(self.window_, "Recalibration"):
            return
        start_case_job(self.window_, "Recalibrating the 0D model", recalibrate_job,
                       int(self.samples.value()), self._done)

    def _done(self, result: dict) -> None:
        self.show_comparison(result)
        self.window_.show_status(f"Recalibrated: {result['calibration_id']}; version "
                                 f"{result['version']['id']}", 10000)


class AccuracyTab(QWidget):
    """Each prediction with its interval against what was observed, and the summary."""

    def __init__(self, panel):
        super().__init__()
        self.panel = panel
        layout = QVBoxLayout(self)
        self.summary = QLabel("")
        self.summary.setObjectName("twin_accuracy_summary")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.table = make_table(("Prediction", "Quantity", "Predicted", "Interval", "Observed",
                                 "Error", "In interval", "Source"), "twin_accuracy")
        layout.addWidget(self.table)

    def refresh(self) -> None:
        from twindesk.twin.accuracy import case_accuracy

        doc = self.panel.doc()
        if doc is None:
            fill_table(self.table, [])
            self.summary.setText("")
            return
        acc = case_accuracy(doc)
        rows = []
        for p in acc["predictions"]:
            o = p.get("observed") or {}
            level = f" ({100 * p['interval']:.0f} %)" if p.get("interval") else ""
            rows.append((p["id"], p["quantity"], f"{p['value']:.4g} {p['unit']}",
                         f"{p['low']:.4g} – {p['high']:.4g}{level}",
                         f"{o['value']:.4g} ({o['time_utc'][:10]})" if o else "not yet",
                         f"{o['error']:+.3g} {p['unit']}" if o else "",
                         ("yes" if o["inside_interval"] else "no") if o else "", p["source"]))
        fill_table(self.table, rows, [not p.get("observed") for p in acc["predictions"]])
        parts = [f"{acc['n_observed']} of {acc['n_predictions']} predictions observed"]
        for q, s in acc["by_quantity"].items():
            parts.append(f"{q}: n {s['n']}, bias {s['bias']:+.3g}, MAE {s['mae']:.3g}, "
                         f"RMSE {s['rmse']:.3g} {s['unit']}, coverage "
                         f"{100 * s['coverage']:.0f} %")
        self.summary.setText(" · ".join(parts))
