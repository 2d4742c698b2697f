"""Pre/post side by side: the flow figure of two scenarios (one colour range, from
:func:`twindesk.sim.pulsatile.figure.render`) above ``twindesk compare``'s table.

The dialog is non-modal, so the user keeps working in the window while it is open.
"""

from __future__ import annotations

import math
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QDialog, QLabel, QScrollArea, QSplitter, QVBoxLayout

from twindesk.ui.tables import fill_table, make_table


def value_text(entry: dict | None) -> str:
    """``value [low, high] unit``; "—" for a missing or non-finite value (never NaN)."""
    if not entry or entry.get("value") is None or not math.isfinite(entry["value"]):
        return "—"
    text = f"{entry['value']:.4g}"
    lo, hi = entry.get("low"), entry.get("high")
    if lo is not None and hi is not None and math.isfinite(lo) and math.isfinite(hi):
        text += f" [{lo:.3g}, {hi:.3g}]"
    unit = entry.get("unit") or ""
    return f"{text} {unit}".rstrip()


def _label(quantity: str) -> str:
    """``echo.peak_velocity_m_s`` → ``Echo: Peak velocity`` (the report's labels)."""
    from twindesk.report.content import label_of

    def acronyms(text: str) -> str:
        return text.replace("Tawss", "TAWSS").replace("Wss", "WSS").replace("Osi", "OSI")

    group, _, key = quantity.rpartition(".")
    text = acronyms(label_of(key))
    return f"{acronyms(group.replace('_', ' ').capitalize())}: {text}" if group else text


def compare_rows(result: dict) -> list[list[str]]:
    """One row per quantity: name, A, B, B − A, change %."""
    rows = []
    for block, tag in (("zero_d", "0D"), ("three_d", "3D")):
        for r in result.get(block) or []:
            pct = r.get("difference_percent")
            rows.append([f"{tag} {_label(r['quantity'])}", value_text(r["a"]), value_text(r["b"]),
                         value_text(r["difference"]),
                         f"{pct:+.1f} %" if pct is not None and math.isfinite(pct) else "—"])
    return rows


class FlowCompareDialog(QDialog):
    def __init__(self, parent, outcome: dict, png: Path):
        super().__init__(parent)
        result = outcome["compare"]
        a, b = result["a"], result["b"]
        self.setObjectName("flow_compare_dialog")
        self.setWindowTitle(f"Flow: {a} and {b} side by side")
        self.resize(1100, 900)
        layout = QVBoxLayout(self)
        split = QSplitter(Qt.Orientation.Vertical)
        self.figure = QLabel()
        self.figure.setObjectName("flow_compare_figure")
        self.figure.setAlignment(Qt.AlignmentFlag.AlignCenter)
        if outcome.get("figure"):
            fig = outcome["figure"]
            self.figure.setPixmap(QPixmap(str(png)))
            self.figure.setToolTip(f"{fig['field']}: one colour range for both, "
                                   f"{fig['range'][0]:.3g}–{fig['range'][1]:.3g} {fig['unit']}")
        else:
            self.figure.setText(outcome.get("figure_missing") or "no figure")
        scroll = QScrollArea()
        scroll.setWidget(self.figure)
        scroll.setWidgetResizable(True)
        split.addWidget(scroll)
        self.table = make_table(["Quantity", a, b, f"{b} − {a}", "change"], "flow_compare_table")
        self.rows = compare_rows(result)
        fill_table(self.table, self.rows)
        split.addWidget(self.table)
        split.setSizes([620, 280])
        layout.addWidget(split)
        unc = result["uncertainty"]
        note = QLabel(f"Intervals: {int(100 * unc['interval'])} %, {unc['method']}"
                      + (f"; {'; '.join(unc['sources'])}" if unc["sources"] else "")
                      + (f"\n{result['three_d_missing']}" if result.get("three_d_missing")
                         else ""))
        note.setObjectName("flow_compare_note")
        note.setWordWrap(True)
        layout.addWidget(note)
