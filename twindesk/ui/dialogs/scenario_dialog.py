"""The flow panel's "Add scenario…" dialog: the fields of ``twindesk scenario add``.

It only collects a :class:`~twindesk.sim.scenarios.define.ScenarioSpec`; the panel hands it
to :func:`~twindesk.sim.scenarios.define.add_scenario`, which checks everything.
"""

from __future__ import annotations

from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox,
                               QDoubleSpinBox, QFormLayout, QHBoxLayout, QLineEdit, QWidget)

from twindesk.sim.scenarios.define import ScenarioSpec


def _optional(spin: QDoubleSpinBox, label: str) -> tuple[QWidget, QCheckBox]:
    box = QCheckBox(label)
    spin.setEnabled(False)
    box.toggled.connect(spin.setEnabled)
    row = QWidget()
    lay = QHBoxLayout(row)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.addWidget(box)
    lay.addWidget(spin, 1)
    return row, box


class ScenarioDialog(QDialog):
    """Name, base scenario, TAVR device and size, cardiac output, heart rate, narrowings."""

    def __init__(self, parent, scenario_names: list[str], base: str = "baseline"):
        super().__init__(parent)
        from twindesk.model.devices import load_library

        self.setWindowTitle("Add scenario")
        self.setObjectName("scenario_dialog")
        form = QFormLayout(self)
        self.name = QLineEdit()
        self.name.setObjectName("scenario_name")
        self.name.setPlaceholderText("e.g. post-sapien-26")
        self.base = QComboBox()
        self.base.setObjectName("scenario_base")
        self.base.addItems(scenario_names)
        if base in scenario_names:
            self.base.setCurrentText(base)
        self.device = QComboBox()
        self.device.setObjectName("scenario_device")
        self.device.addItem("— none (native valve) —", None)
        self.families = {f.id: f for f in load_library().families if f.is_tavr}
        for fam in self.families.values():
            self.device.addItem(fam.name, fam.id)
        self.size = QComboBox()
        self.size.setObjectName("scenario_size")
        self.device.currentIndexChanged.connect(self._device_changed)
        self.co = QDoubleSpinBox()
        self.co.setObjectName("scenario_co")
        self.co.setRange(0.5, 20.0)
        self.co.setValue(5.0)
        self.co.setSuffix(" L/min")
        self.hr = QDoubleSpinBox()
        self.hr.setObjectName("scenario_hr")
        self.hr.setRange(20.0, 220.0)
        self.hr.setValue(70.0)
        self.hr.setSuffix(" bpm")
        co_row, self.co_on = _optional(self.co, "set")
        hr_row, self.hr_on = _optional(self.hr, "set")
        self.narrow = QLineEdit()
        self.narrow.setObjectName("scenario_narrow")
        self.narrow.setPlaceholderText("SEGMENT:PERCENT, … e.g. arch:30, 40-70:-10")
        self.narrow.setToolTip("Narrow a segment's diameter by PERCENT (negative enlarges); "
                               "SEGMENT is ascending, arch, descending or START-END mm from "
                               "the root along the centreline")
        self.description = QLineEdit()
        self.description.setObjectName("scenario_description")
        form.addRow("Name", self.name)
        form.addRow("From", self.base)
        form.addRow("Valve device", self.device)
        form.addRow("Size", self.size)
        form.addRow("Cardiac output", co_row)
        form.addRow("Heart rate", hr_row)
        form.addRow("Narrow / enlarge", self.narrow)
        form.addRow("Note", self.description)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self._device_changed()

    def _device_changed(self) -> None:
        self.size.clear()
        fam = self.families.get(self.device.currentData())
        self.size.setEnabled(fam is not None)
        for s in fam.sizes_mm if fam else ():
            self.size.addItem(f"{s:g} mm", float(s))

    def spec(self) -> ScenarioSpec:
        """What the user asked for (checked by ``add_scenario``)."""
        device = self.device.currentData()
        narrow = tuple(t.strip() for t in self.narrow.text().replace(";", ",").split(",")
                       if t.strip())
        return ScenarioSpec(self.name.text().strip(), self.base.currentText(), device,
                            self.size.currentData() if device else None,
                            self.co.value() if self.co_on.isChecked() else None,
                            self.hr.value() if self.hr_on.isChecked() else None, narrow,
                            self.description.text().strip() or None)
